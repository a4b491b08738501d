// Validates values for the Zero to JupyterHub chart as `helm install` does: the user's values merged over the
// chart's values.yaml (maps merge key by key, a list or scalar replaces, null deletes), then checked against the
// chart's values.schema.yaml (JSON Schema draft-07, a YAML file in the chart's repository).
//   node validate-z2jh-values.mjs USER-VALUES CHART-VALUES CHART-SCHEMA
// Prints {"errors": [{"path", "message"}]}; exits 1 when there are errors.
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import Ajv from "ajv";

const [userFile, chartFile, schemaFile] = process.argv.slice(2);
const read = (file) => parse(readFileSync(file, "utf8"));

// Helm's coalescing of user values over chart defaults (pkg/chartutil/coalesce.go), which no npm package does.
function coalesce(defaults, user) {
  const isMap = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isMap(defaults) || !isMap(user)) return user === undefined ? defaults : user;
  const merged = { ...defaults };
  for (const [key, value] of Object.entries(user)) {
    if (value === null) delete merged[key];
    else merged[key] = key in defaults ? coalesce(defaults[key], value) : value;
  }
  return merged;
}

const validate = new Ajv({ allErrors: true, strict: false }).compile(read(schemaFile));
const valid = validate(coalesce(read(chartFile), read(userFile)));
const errors = valid ? [] : validate.errors.map((e) => ({
  path: e.instancePath || "/",
  message: e.message + (e.params?.additionalProperty ? `: ${e.params.additionalProperty}` : ""),
}));
console.log(JSON.stringify({ errors }));
process.exit(errors.length ? 1 : 0);
