// Evaluates a ValidatingAdmissionPolicy (admissionregistration.k8s.io/v1) on admission requests, as the API server
// does, with a CEL interpreter (npm @marcbachmann/cel-js) in place of the API server's (no API server runs here):
// matchConstraints' operations, matchConditions (all true, else the policy does not apply), variables in order,
// then every validation; a false validation denies with its message, an error denies too (failurePolicy: Fail).
// Integers become int64 (BigInt), as the API server types them from the OpenAPI schema. Not reproduced: the API
// server's type check against that schema and its cost limits.
// stdin: {"policy": {...}, "requests": [{"operation", "username", "namespace", "object", "oldObject"}]}
// stdout: one JSON line per request: {"matched": bool, "denied": ["message", ...]}
import { evaluate } from "@marcbachmann/cel-js";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
}));

const int64 = (value) =>
  Array.isArray(value) ? value.map(int64)
  : value !== null && typeof value === "object" ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, int64(v)]))
  : Number.isInteger(value) ? BigInt(value)
  : value;

const spec = input.policy.spec;
for (const request of input.requests) {
  const context = {
    request: { operation: request.operation, namespace: request.namespace, userInfo: { username: request.username } },
    object: int64(request.object ?? null),
    oldObject: int64(request.oldObject ?? null),
    variables: {},
  };
  const operations = spec.matchConstraints.resourceRules.flatMap((r) => r.operations);
  const matched = operations.includes(request.operation) &&
    (spec.matchConditions ?? []).every((c) => evaluate(c.expression, context) === true);
  const denied = [];
  if (matched) {
    for (const variable of spec.variables ?? []) {
      try {
        context.variables[variable.name] = evaluate(variable.expression, context);
      } catch (e) {
        context.variables[variable.name] = null;   // a validation that reads it errors, and so denies
      }
    }
    for (const validation of spec.validations) {
      let result;
      try {
        result = evaluate(validation.expression, context);
      } catch (e) {
        result = `error: ${e.message}`;
      }
      if (result !== true)
        denied.push(result === false ? validation.message : `${validation.message} (${result})`);
    }
  }
  console.log(JSON.stringify({ matched, denied }));
}
