// Checks every .tf file against the AWS provider's schema (aws-provider-schema.json, extracted from the
// provider's generated bindings) and checks that every reference resolves. No Terraform binary needed.
//   node --test deploy/terraform-check/
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "@cdktn/hcl2json";
import { parseAll, terraformRoot } from "./hcl.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const schema = JSON.parse(readFileSync(join(here, "aws-provider-schema.json"), "utf8"));
const parsed = await parseAll();

const META_ARGUMENTS = new Set(["count", "for_each", "depends_on", "provider", "lifecycle"]);
const isExpression = (value) => typeof value === "string" && value.includes("${");

/** Every resource and data block: [file, kind, type, name, body]. */
const blocks = Object.entries(parsed).flatMap(([file, content]) =>
  ["resource", "data"].flatMap((kind) =>
    Object.entries(content[kind] ?? {}).flatMap(([type, named]) =>
      Object.entries(named).flatMap(([name, bodies]) => bodies.map((body) => ({ file, kind, type, name, body }))))));

/** The faults of one block body against its schema, with a path for the message. */
function faults(body, shape, path, top = false) {
  const found = [];
  for (const [key, value] of Object.entries(body)) {
    if (top && META_ARGUMENTS.has(key)) continue;
    if (key === "dynamic") {
      for (const [blockName, dynamics] of Object.entries(value)) {
        if (!shape.blocks[blockName]) found.push(`${path}: no block "${blockName}" (dynamic)`);
        else for (const d of dynamics) for (const content of d.content ?? []) found.push(...faults(content, shape.blocks[blockName], `${path}.${blockName}`));
      }
    } else if (shape.blocks[key]) {
      const instances = Array.isArray(value) ? value : [value];
      if (!shape.blocks[key].list && instances.length > 1) found.push(`${path}.${key}: one block allowed, ${instances.length} given`);
      for (const instance of instances) found.push(...faults(instance, shape.blocks[key], `${path}.${key}`));
    } else if (shape.arguments[key]) {
      const fault = typeFault(value, shape.arguments[key].type);
      if (fault) found.push(`${path}.${key}: ${fault}`);
    } else {
      found.push(`${path}: unknown argument or block "${key}"`);
    }
  }
  for (const [name, argument] of Object.entries(shape.arguments)) {
    if (argument.required && !(name in body)) found.push(`${path}: required argument "${name}" missing`);
  }
  for (const [name, block] of Object.entries(shape.blocks)) {
    if (block.required && !(name in body) && !(body.dynamic && name in body.dynamic)) found.push(`${path}: required block "${name}" missing`);
  }
  return found;
}

/** A literal of the wrong kind (an expression is checked by Terraform, not here). */
function typeFault(value, type) {
  if (isExpression(value) || value === null || type === "any") return null;
  if (type === "string" && typeof value !== "string") return `expected a string, got ${JSON.stringify(value)}`;
  if (type === "number" && typeof value !== "number") return `expected a number, got ${JSON.stringify(value)}`;
  if (type === "boolean" && typeof value !== "boolean") return `expected a boolean, got ${JSON.stringify(value)}`;
  if (type.startsWith("list(") && !Array.isArray(value)) return `expected a list, got ${JSON.stringify(value)}`;
  if (type.startsWith("map(") && (typeof value !== "object" || Array.isArray(value))) return `expected a map, got ${JSON.stringify(value)}`;
  return null;
}

test("every resource and data source is a type of the AWS provider", () => {
  const unknown = blocks.filter((b) => !schema[b.kind][b.type]).map((b) => `${b.file}: ${b.kind} ${b.type}.${b.name}`);
  assert.deepEqual(unknown, [], "run node deploy/terraform-check/extract-schema.mjs after using a new type");
});

test("every argument and block exists in the provider schema, with the right kind of value, and none required is missing", () => {
  const found = blocks.flatMap((b) => faults(b.body, schema[b.kind][b.type], `${b.file}: ${b.type}.${b.name}`, true));
  assert.deepEqual(found, []);
});

/** Strings of every expression in a parsed value. */
function expressions(value) {
  if (typeof value === "string") return isExpression(value) ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(expressions);
  if (value && typeof value === "object") return Object.values(value).flatMap(expressions);
  return [];
}

/** aws_x.name[...].attr and data.aws_x.name[...].attr references, with balanced index brackets skipped. */
function references(expression) {
  const found = [];
  const start = /\b(data\.)?(aws_[a-z0-9_]+)\.([a-zA-Z0-9_-]+)/g;
  for (let m; (m = start.exec(expression));) {
    if (m.index > 0 && /[.\w]/.test(expression[m.index - 1])) continue;
    let i = m.index + m[0].length;
    while (expression[i] === "[") {
      let depth = 0;
      do {
        if (expression[i] === "[") depth++;
        if (expression[i] === "]") depth--;
        i++;
      } while (depth > 0 && i < expression.length);
    }
    const attribute = /^\.([a-z0-9_]+)/.exec(expression.slice(i))?.[1] ?? null;
    found.push({ kind: m[1] ? "data" : "resource", type: m[2], name: m[3], attribute });
  }
  return found;
}

test("every reference to a resource or data source names one declared in the same module, and an attribute it has", () => {
  const problems = [];
  const byDirectory = {};
  for (const [file, content] of Object.entries(parsed)) (byDirectory[dirname(file)] ??= []).push([file, content]);
  for (const files of Object.values(byDirectory)) {
    const declared = new Set(files.flatMap(([, c]) => ["resource", "data"].flatMap((kind) =>
      Object.entries(c[kind] ?? {}).flatMap(([type, named]) => Object.keys(named).map((name) => `${kind}.${type}.${name}`)))));
    for (const [file, content] of files) {
      for (const expression of expressions(content)) {
        for (const ref of references(expression)) {
          const label = `${file}: ${ref.kind === "data" ? "data." : ""}${ref.type}.${ref.name}${ref.attribute ? "." + ref.attribute : ""}`;
          if (!declared.has(`${ref.kind}.${ref.type}.${ref.name}`)) problems.push(`${label}: not declared in this module`);
          const shape = schema[ref.kind][ref.type];
          if (shape && ref.attribute && !shape.attributes.includes(ref.attribute) && !(ref.attribute in shape.arguments) && !(ref.attribute in shape.blocks)) {
            problems.push(`${label}: ${ref.type} has no attribute "${ref.attribute}"`);
          }
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("every var. and local. a module uses is declared in it", () => {
  const problems = [];
  const byDirectory = {};
  for (const [file, content] of Object.entries(parsed)) (byDirectory[dirname(file)] ??= []).push([file, content]);
  for (const files of Object.values(byDirectory)) {
    const variables = new Set(files.flatMap(([, c]) => Object.keys(c.variable ?? {})));
    const locals = new Set(files.flatMap(([, c]) => (c.locals ?? []).flatMap((l) => Object.keys(l))));
    for (const [file, content] of files) {
      for (const expression of expressions(content)) {
        for (const m of expression.matchAll(/(?<![.\w])(var|local)\.([a-z0-9_]+)/g)) {
          if (!(m[1] === "var" ? variables : locals).has(m[2])) problems.push(`${file}: ${m[1]}.${m[2]} is not declared`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("no IAM statement grants every action or every resource", () => {
  const problems = [];
  for (const [file, content] of Object.entries(parsed)) {
    for (const expression of expressions(content)) {
      for (const m of expression.matchAll(/(Action|Resource)\s*=\s*(\[[^\]]*\]|"[^"]*")/g)) {
        if (/"\*"|"[a-z0-9-]+:\*"/.test(m[2])) problems.push(`${file}: ${m[0]}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

test("the environment root passes the module every variable it requires, and prod protects its tables", async () => {
  const moduleVariables = Object.entries(parsed)
    .filter(([file]) => file.startsWith("modules/inventory/"))
    .flatMap(([, c]) => Object.entries(c.variable ?? {}))
    .map(([name, [v]]) => ({ name, required: !("default" in v) }));
  const call = parsed["environment/main.tf"].module.inventory[0];
  assert.equal(call.source, "../modules/inventory");
  const missing = moduleVariables.filter((v) => v.required && !(v.name in call)).map((v) => v.name);
  const unknown = Object.keys(call).filter((k) => k !== "source" && !moduleVariables.some((v) => v.name === k));
  assert.deepEqual({ missing, unknown }, { missing: [], unknown: [] });

  const rootVariables = Object.keys(parsed["environment/main.tf"].variable);
  for (const env of ["dev", "prod"]) {
    const file = join(terraformRoot, "environment", `${env}.tfvars.example`);
    const values = await parse(file, readFileSync(file, "utf8"));
    assert.deepEqual(Object.keys(values).filter((k) => !rootVariables.includes(k)), [], `${env}.tfvars.example sets unknown variables`);
    assert.equal(values.environment, env);
  }
  const prod = await parse("prod.tfvars.example", readFileSync(join(terraformRoot, "environment", "prod.tfvars.example"), "utf8"));
  assert.equal(prod.deletion_protection, true);
  assert.equal(prod.table_prefix, "");
});
