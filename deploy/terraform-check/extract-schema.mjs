// Extracts, from the generated bindings of the hashicorp/aws provider (@cdktn/provider-aws, whose .jsii file holds
// the provider schema), the schema of every resource and data source the Terraform here uses, into
// aws-provider-schema.json. The checks need only that small snapshot. Re-run after using a new resource type:
//   node deploy/terraform-check/extract-schema.mjs
// (It installs the 46 MB bindings into a temporary folder; nothing is added to the project.)
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAll } from "./hcl.mjs";

const PROVIDER_PACKAGE = "@cdktn/provider-aws@25.7.0";
const here = dirname(fileURLToPath(import.meta.url));

const parsed = await parseAll();
const used = { resource: new Set(), data: new Set() };
for (const file of Object.values(parsed)) {
  for (const kind of ["resource", "data"]) {
    for (const type of Object.keys(file[kind] ?? {})) used[kind].add(type);
  }
}

const work = mkdtempSync(join(tmpdir(), "provider-aws-"));
try {
  execFileSync("npm", ["install", "--no-save", "--no-audit", "--no-fund", "--prefix", work, PROVIDER_PACKAGE], { stdio: "inherit" });
  const jsii = JSON.parse(readFileSync(join(work, "node_modules", "@cdktn", "provider-aws", ".jsii"), "utf8"));
  const types = jsii.types;

  const snake = (name) => name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();
  // The registry link in the docs names the Terraform attribute exactly (e.g. #billing_mode).
  const terraformName = (property) => {
    const link = property.docs?.summary?.match(/#([a-z0-9_]+) /) ?? property.docs?.remarks?.match(/#([a-z0-9_]+) /);
    return link ? link[1] : snake(property.name);
  };
  const isStruct = (fqn) => types[fqn]?.kind === "interface" && types[fqn]?.datatype === true;

  function describe(type) {
    if (type.primitive) return { type: type.primitive === "any" ? "any" : type.primitive };
    if (type.collection) {
      const element = type.collection.elementtype;
      if (element.fqn && isStruct(element.fqn)) return { block: element.fqn, list: true };
      return { type: `${type.collection.kind === "map" ? "map" : "list"}(${describe(element).type ?? "any"})` };
    }
    if (type.union) {
      const options = type.union.types.filter((t) => t.fqn !== "cdktn.IResolvable");
      return options.length === 1 ? describe(options[0]) : { type: "any" };
    }
    if (type.fqn && isStruct(type.fqn)) return { block: type.fqn, list: false };
    return { type: "any" };
  }

  function schemaOf(fqn, seen = new Set()) {
    const result = { arguments: {}, blocks: {} };
    for (const property of types[fqn].properties ?? []) {
      const name = terraformName(property);
      const shape = describe(property.type);
      if (shape.block && !seen.has(shape.block)) {
        result.blocks[name] = { list: shape.list, required: !property.optional, ...schemaOf(shape.block, new Set([...seen, shape.block])) };
      } else if (!shape.block) {
        result.arguments[name] = { type: shape.type, required: !property.optional };
      }
    }
    return result;
  }

  const pascal = (terraformType) => terraformType.split("_").map((p) => p[0].toUpperCase() + p.slice(1)).join("");
  const schema = { provider: "hashicorp/aws 6.66.0 (from " + PROVIDER_PACKAGE + ")", resource: {}, data: {} };
  for (const kind of ["resource", "data"]) {
    for (const type of [...used[kind]].sort()) {
      // aws_dynamodb_table lives in module dynamodbTable, data aws_region in dataAwsRegion; the class there that
      // extends TerraformResource / TerraformDataSource takes the block's config (names clash-suffixed as needed).
      const module = kind === "data" ? "dataAws" + pascal(type.replace(/^aws_/, "")) : pascal(type.replace(/^aws_/, "")).replace(/^./, (c) => c.toLowerCase());
      const base = kind === "data" ? "cdktn.TerraformDataSource" : "cdktn.TerraformResource";
      const [resource, definition] = Object.entries(types).find(([fqn, t]) => fqn.startsWith(`@cdktn/provider-aws.${module}.`) && t.kind === "class" && t.base === base) ?? [];
      if (!definition) throw new Error(`${kind} ${type}: not in the provider bindings (module ${module})`);
      const config = definition.initializer.parameters.find((p) => p.name === "config").type.fqn;
      const attributes = new Set(["id"]);
      for (const property of types[resource].properties ?? []) {
        if (!property.static && !property.name.endsWith("Input")) attributes.add(snake(property.name));
      }
      schema[kind][type] = { ...schemaOf(config), attributes: [...attributes].sort() };
    }
  }

  writeFileSync(join(here, "aws-provider-schema.json"), JSON.stringify(schema, null, 1) + "\n");
  console.log(`aws-provider-schema.json: ${used.resource.size} resource types, ${used.data.size} data sources`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
