// Validates every object of a multi-document YAML (stdin) against the Kubernetes JSON schemas of npm
// kubernetes-models (and @kubernetes-models/gateway-api): required fields, enum values, types.
// Prints one JSON line per object: {"kind", "name", "error"}; exits 1 if any object is invalid.
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk)).on("end", () => resolve(text));
});

async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  const module = group.startsWith("gateway.networking")
    ? `@kubernetes-models/gateway-api/${group}/${version}`
    : group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
  const Model = (await import(module))[kind];
  if (!Model) throw new Error(`no schema for ${apiVersion} ${kind}`);
  return Model;
}

let failed = false;
for (const document of parseAllDocuments(input)) {
  const object = document.toJS();
  if (!object) continue;
  let error = null;
  try {
    new (await modelFor(object.apiVersion, object.kind))(object).validate();
  } catch (e) {
    error = String(e.message ?? e);
    failed = true;
  }
  console.log(JSON.stringify({ kind: object.kind, name: object.metadata?.name, error }));
}
process.exit(failed ? 1 : 0);
