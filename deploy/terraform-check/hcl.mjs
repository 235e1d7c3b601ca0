// Parses every .tf file under deploy/terraform into JSON with @cdktn/hcl2json (HCL's own parser, compiled to
// WebAssembly). Expressions stay as "${...}" strings. Used by the checks here and by the service's C# tests:
//   node deploy/terraform-check/hcl.mjs   prints { "<path relative to deploy/terraform>": <parsed file>, ... }
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktn/hcl2json";

export const terraformRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "terraform");

function tfFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name.startsWith(".") ? [] : tfFiles(path);
    return name.endsWith(".tf") ? [path] : [];
  }).sort();
}

export async function parseAll() {
  const parsed = {};
  for (const file of tfFiles(terraformRoot)) {
    parsed[relative(terraformRoot, file)] = await parse(file, readFileSync(file, "utf8"));
  }
  return parsed;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(JSON.stringify(await parseAll()));
}
