// Checks every .tf file against the AWS provider's schema (aws-provider-schema.json, extracted from the
// provider's generated bindings), checks that every reference resolves, and checks the module against
// deploy/functions.json: what feeds each function, the stream mapping's bounds, the IAM actions granted.
// No Terraform binary needed.
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
const manifest = JSON.parse(readFileSync(join(here, "..", "functions.json"), "utf8"));
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

/** Every IAM statement written as an HCL object ({ Effect = ..., Action = ..., Resource = ... }) in an expression. */
function statementsIn(expression) {
  return [...expression.matchAll(/\{[^{}]*\bAction\s*=[^{}]*\}/g)].map((m) => ({
    text: m[0],
    actions: [...(/Action\s*=\s*(\[[^\]]*\]|"[^"]*")/.exec(m[0])?.[1] ?? "").matchAll(/"([^"]+)"/g)].map((a) => a[1]),
    resource: /Resource\s*=\s*(\[[^\]]*\]|"[^"]*"|\S+)/.exec(m[0])?.[1] ?? "",
  }));
}

test("no IAM statement grants every action or every resource, but for the actions that name no resource", () => {
  // IAM checks these only against "*": granted on an ARN they would do nothing.
  const resourceless = new Set(["dynamodb:ListStreams"]);
  const problems = [];
  for (const [file, content] of Object.entries(parsed)) {
    for (const expression of expressions(content)) {
      for (const statement of statementsIn(expression)) {
        if (statement.actions.some((a) => a === "*" || /^[a-z0-9-]+:\*$/.test(a))) problems.push(`${file}: ${statement.text}`);
        if (/"\*"/.test(statement.resource) && !statement.actions.every((a) => resourceless.has(a))) problems.push(`${file}: ${statement.text}`);
        if (!/"\*"/.test(statement.resource) && statement.actions.some((a) => resourceless.has(a))) problems.push(`${file}: ${statement.text} (on an ARN it grants nothing)`);
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

// The module against deploy/functions.json: what the manifest says each function is fed by, and what it may do.

const inModule = (type) => blocks.filter((b) => b.kind === "resource" && b.type === type && b.file.startsWith("modules/inventory/"));
const moduleLocal = (name) => Object.entries(parsed).filter(([file]) => file.startsWith("modules/inventory/"))
  .flatMap(([, c]) => c.locals ?? []).find((l) => name in l)?.[name];
const functionRef = (fn) => `aws_lambda_function.function["${fn}"]`;
const aliasRef = (fn) => `aws_lambda_alias.live["${fn}"]`;
/** The one resource an expression names as a whole ("${aws_sqs_queue.x.arn}" -> "x"), or null. */
const whole = (expression, type, attribute) =>
  new RegExp(`^\\$\\{${type}\\.([a-z0-9_]+)\\.${attribute}\\}$`).exec(expression ?? "")?.[1] ?? null;

/** The statements the function role policy adds for one function alone (each.key == "fn" ? [{...}] : []). */
function statementsOnlyFor(fn) {
  const policy = inModule("aws_iam_role_policy").find((b) => b.file.endsWith("functions.tf") && b.name === "function").body.policy;
  return [...policy.matchAll(/each\.key == "([a-z0-9_-]+)" \? \[\{([^}]*)\}\] : \[\]/g)]
    .filter((m) => m[1] === fn)
    .map((m) => ({
      actions: [.../Action\s*=\s*\[([^\]]*)\]/.exec(m[2])[1].matchAll(/"([^"]+)"/g)].map((a) => a[1]),
      resource: /Resource\s*=\s*(\S+)/.exec(m[2])[1],
    }));
}

/** The alarm lines of observability.tf's alarms local that watch a metric of a dimension value. */
const alarmsOn = (metric, dimension) => moduleLocal("alarms").split("\n").filter((line) => line.includes(`metric = "${metric}"`) && line.includes(dimension));

const pipeRolePolicy = () => inModule("aws_iam_role_policy").find((b) => b.file.endsWith("events.tf") && b.name === "pipe").body.policy;

// Callers invoke the live alias, never the function's unqualified ARN (functions.tf).
const triggers = {
  sqs: (fn) => inModule("aws_lambda_event_source_mapping").some((m) => m.body.function_name === `\${${aliasRef(fn)}.arn}` && whole(m.body.event_source_arn, "aws_sqs_queue", "arn")),
  "dynamodb-stream": (fn) => inModule("aws_lambda_event_source_mapping").some((m) => m.body.function_name === `\${${aliasRef(fn)}.arn}` && whole(m.body.event_source_arn, "aws_dynamodb_table", "stream_arn")),
  schedule: (fn) => inModule("aws_cloudwatch_event_target").some((t) => t.body.arn === `\${${aliasRef(fn)}.arn}`)
    && inModule("aws_lambda_permission").some((p) => p.body.function_name === `\${${functionRef(fn)}.function_name}` && p.body.qualifier === `\${${aliasRef(fn)}.name}` && p.body.principal === "events.amazonaws.com"),
  authorizer: (fn) => expressions(parsed["modules/inventory/api.tf"]).some((e) => e.includes(`${aliasRef(fn)}.invoke_arn`))
    && inModule("aws_lambda_permission").some((p) => p.body.function_name === `\${${functionRef(fn)}.function_name}` && p.body.qualifier === `\${${aliasRef(fn)}.name}` && p.body.principal === "apigateway.amazonaws.com"),
  "pipe-enrichment": (fn) => inModule("aws_pipes_pipe").some((p) => p.body.enrichment === `\${${aliasRef(fn)}.arn}`)
    && statementsIn(pipeRolePolicy()).some((s) => s.actions.includes("lambda:InvokeFunction") && s.resource === `${aliasRef(fn)}.arn`),
};

test("every function of the manifest is wired to what feeds it, and every event source mapping feeds a function that says so", () => {
  const problems = [];
  const scopeFunction = moduleLocal("scope_function");
  for (const [fn, f] of Object.entries(manifest.functions)) {
    if (f.routes_scope && scopeFunction[f.routes_scope] !== fn) problems.push(`${fn}: api.tf's scope_function does not send ${f.routes_scope} routes to it`);
    for (const kind of f.events ?? []) {
      if (!triggers[kind]) problems.push(`${fn}: no check knows the event kind "${kind}"; teach this test what wires it`);
      else if (!triggers[kind](fn)) problems.push(`${fn}: nothing in the module feeds it its "${kind}" events`);
    }
    if (!f.routes_scope && !(f.events ?? []).length) problems.push(`${fn}: neither routes nor events reach it`);
  }
  for (const mapping of inModule("aws_lambda_event_source_mapping")) {
    const fn = /^\$\{aws_lambda_alias\.live\["([a-z0-9_-]+)"\]\.arn\}$/.exec(mapping.body.function_name)?.[1];
    const kind = whole(mapping.body.event_source_arn, "aws_sqs_queue", "arn") ? "sqs" : whole(mapping.body.event_source_arn, "aws_dynamodb_table", "stream_arn") ? "dynamodb-stream" : null;
    if (!fn || !manifest.functions[fn]?.events?.includes(kind)) problems.push(`aws_lambda_event_source_mapping.${mapping.name}: feeds ${fn ?? "?"} with ${kind ?? "?"} events the manifest does not list`);
  }
  assert.deepEqual(problems, []);
});

test("a table stream's mapping reports partial failures, halves failing batches, gives up within bounds to a dead-letter queue, and is watched", () => {
  const mappings = inModule("aws_lambda_event_source_mapping").filter((m) => whole(m.body.event_source_arn, "aws_dynamodb_table", "stream_arn"));
  assert.ok(mappings.length > 0, "no mapping reads a table stream");
  for (const { name, body } of mappings) {
    const label = `aws_lambda_event_source_mapping.${name}`;
    const fn = /\["([a-z0-9_-]+)"\]/.exec(body.function_name)[1];
    const table = whole(body.event_source_arn, "aws_dynamodb_table", "stream_arn");
    const tableBody = inModule("aws_dynamodb_table").find((t) => t.name === table)?.body;
    // Transitions need the row before and after the change.
    assert.equal(tableBody?.stream_enabled, true, `${label}: aws_dynamodb_table.${table} has no stream`);
    assert.equal(tableBody.stream_view_type, "NEW_AND_OLD_IMAGES", `${label}: the consumer needs both images`);

    assert.deepEqual(body.function_response_types, ["ReportBatchItemFailures"], `${label}: the function answers with the first failed record`);
    assert.equal(body.bisect_batch_on_function_error, true, label);
    assert.equal(body.starting_position, "TRIM_HORIZON", `${label}: a new mapping must not skip what was written before it`);
    assert.ok(body.batch_size >= 1 && body.batch_size <= 10000, `${label}: batch_size`);
    assert.ok((body.maximum_batching_window_in_seconds ?? 0) <= 1, `${label}: statuses would lag by the batching window`);
    // Unset or -1 means "until the stream drops the record", which stalls a shard for a day and loses the record.
    assert.ok(Number.isInteger(body.maximum_retry_attempts) && body.maximum_retry_attempts >= 0 && body.maximum_retry_attempts <= 10000, `${label}: maximum_retry_attempts must be bounded`);
    assert.ok(Number.isInteger(body.maximum_record_age_in_seconds) && body.maximum_record_age_in_seconds >= 60 && body.maximum_record_age_in_seconds < 86400,
      `${label}: maximum_record_age_in_seconds must be bounded, and below the stream's 24 hours so a given-up record can still be read`);

    const queue = whole(body.destination_config?.[0]?.on_failure?.[0]?.destination_arn, "aws_sqs_queue", "arn");
    assert.ok(queue, `${label}: what it gives up on must go to an SQS queue`);
    assert.ok(inModule("aws_sqs_queue").some((q) => q.name === queue && !q.body.fifo_queue), `${label}: aws_sqs_queue.${queue} (standard)`);

    // Lambda reads the stream and sends to the destination with the function's own role.
    const statements = statementsOnlyFor(fn);
    const grants = (actions, resource) => statements.some((s) => s.resource === resource && actions.every((a) => s.actions.includes(a)));
    assert.ok(grants(["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"], `aws_dynamodb_table.${table}.stream_arn`),
      `${label}: the ${fn} role may not read aws_dynamodb_table.${table}'s stream`);
    assert.ok(grants(["sqs:SendMessage"], `aws_sqs_queue.${queue}.arn`), `${label}: the ${fn} role may not send to aws_sqs_queue.${queue}`);

    assert.ok(alarmsOn("IteratorAge", `${functionRef(fn)}.function_name`).length > 0, `${label}: no alarm on the ${fn} function's IteratorAge`);
    assert.ok(alarmsOn("ApproximateNumberOfMessagesVisible", `aws_sqs_queue.${queue}.name`).length > 0, `${label}: no alarm on aws_sqs_queue.${queue}'s depth`);
  }
});

test("the manifest grants only IAM actions DynamoDB has, on tables and indexes the module declares", () => {
  // Transactions and batches are authorized per item action: there is no TransactWriteItems or TransactGetItems action.
  const actions = new Set(["GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "ConditionCheckItem", "DescribeTable"]);
  const tables = Object.fromEntries(inModule("aws_dynamodb_table").map((t) => [t.name, t.body]));
  const problems = [];
  for (const key of Object.keys(manifest.tables)) {
    if (!tables[key]) problems.push(`tables.${key}: no aws_dynamodb_table.${key}`);
    if (moduleLocal("table_arns")[key] !== `\${aws_dynamodb_table.${key}.arn}`) problems.push(`tables.${key}: not in main.tf's table_arns`);
  }
  for (const [fn, f] of Object.entries(manifest.functions)) {
    for (const [resource, granted] of Object.entries(f.dynamodb)) {
      const [table, kind, index, ...rest] = resource.split("/");
      if (!manifest.tables[table]) problems.push(`${fn}: ${resource}: no table "${table}" in the manifest`);
      else if (kind !== undefined && (kind !== "index" || rest.length || ![...(tables[table]?.global_secondary_index ?? []), ...(tables[table]?.local_secondary_index ?? [])].some((i) => i.name === index))) {
        problems.push(`${fn}: ${resource}: not an index of aws_dynamodb_table.${table}`);
      }
      for (const action of granted) if (!actions.has(action)) problems.push(`${fn}: ${resource}: "${action}" is not a DynamoDB action IAM checks here`);
    }
  }
  assert.deepEqual(problems, []);
});

test("the IAM check finds the statements it checks", () => {
  const found = statementsIn(pipeRolePolicy());
  assert.ok(found.some((s) => s.actions.includes("dynamodb:ListStreams") && s.resource === '"*"'), JSON.stringify(found));
  assert.ok(found.some((s) => s.actions.includes("dynamodb:GetRecords") && s.resource.includes("local.pipe_sources")), JSON.stringify(found));
});

// Every message that leaves the service is built by the outbox function, code the C# tests run; a pipe's input
// template would be rendered by EventBridge, which no test here can run (it quotes DynamoDB numbers, for one).
test("each outbox pipe's messages come from the outbox function's enrichment, with no input template", () => {
  const pipes = inModule("aws_pipes_pipe");
  assert.ok(pipes.length > 0);
  for (const { name, body } of pipes) {
    assert.equal(body.enrichment, `\${${aliasRef("outbox")}.arn}`, `aws_pipes_pipe.${name}: enrichment`);
    assert.equal(body.target_parameters, undefined, `aws_pipes_pipe.${name}: the target sends the enrichment's answer unchanged`);
    assert.equal(body.enrichment_parameters, undefined, `aws_pipes_pipe.${name}: the enrichment takes the records as they are`);
    const stream = body.source_parameters[0].dynamodb_stream_parameters[0];
    assert.ok(stream.maximum_record_age_in_seconds < 86400, `aws_pipes_pipe.${name}: a given-up record must still be in the stream when it is dead-lettered`);
    assert.ok(stream.dead_letter_config?.[0]?.arn, `aws_pipes_pipe.${name}: dead-letter queue`);
  }
  assert.deepEqual(manifest.functions.outbox.events, ["pipe-enrichment"]);
  assert.deepEqual(manifest.functions.outbox.dynamodb, {}, "the enrichment reads nothing: the records carry the messages");
});

test("the functions fed by events fail their invocation on an error answer; the HTTP functions do not", () => {
  for (const [fn, f] of Object.entries(manifest.functions)) {
    const codes = f.environment?.AWS_LWA_ERROR_STATUS_CODES;
    if (f.routes_scope) assert.equal(codes, undefined, `${fn}: API Gateway must get the service's own 4xx/5xx answers`);
    else assert.equal(codes, "400-599", `${fn}: a refused or failed event must count as a failed invocation`);
  }
  const variables = inModule("aws_lambda_function").find((b) => b.name === "function").body.environment[0].variables;
  assert.match(variables, /lookup\(each\.value, "environment", \{\}\)/, "functions.tf must add each function's own environment");
});

test("every caller invokes the live alias of a published version, never the function itself", () => {
  const fn = inModule("aws_lambda_function").find((b) => b.name === "function").body;
  assert.equal(fn.publish, true);
  const alias = inModule("aws_lambda_alias").find((b) => b.name === "live")?.body;
  assert.ok(alias, "aws_lambda_alias.live");
  assert.equal(alias.for_each, "${local.manifest.functions}");
  assert.equal(alias.function_version, '${aws_lambda_function.function[each.key].version}');
  const direct = Object.entries(parsed).filter(([file]) => file.startsWith("modules/inventory/") && !file.endsWith("functions.tf"))
    .flatMap(([file, content]) => expressions(content).filter((e) => /aws_lambda_function\.function\[[^\]]+\]\.(arn|invoke_arn|qualified_arn)/.test(e)).map((e) => `${file}: ${e.slice(0, 120)}`));
  assert.deepEqual(direct, []);
  for (const { name, body } of inModule("aws_lambda_permission")) {
    assert.match(body.qualifier ?? "", /aws_lambda_alias\.live\[[^\]]+\]\.name/, `aws_lambda_permission.${name}: the permission must be on the alias it invokes`);
  }
  // The zip of every build stays, named by its hash, in a versioned bucket.
  const object = inModule("aws_s3_object").find((b) => b.name === "package").body;
  assert.match(object.key, /filesha256\(var\.package_zip\)/);
  assert.equal(fn.s3_key, "${aws_s3_object.package.key}");
  assert.equal(inModule("aws_s3_bucket_versioning").find((b) => b.name === "packages").body.versioning_configuration[0].status, "Enabled");
});

test("CORS preflights are answered by API Gateway (MOCK) from the allowed origins, which include the site", () => {
  const paths = moduleLocal("openapi").paths;
  const options = paths.slice(paths.indexOf("options = {"));
  assert.ok(paths.indexOf("options = {") > 0, "every path has an OPTIONS method");
  assert.match(options, /type\s*=\s*"mock"/, "OPTIONS must be a MOCK integration");
  assert.doesNotMatch(options, /aws_lambda|invoke_arn/, "no function runs for a preflight");
  assert.match(options, /security\s*=\s*\[\]/, "a preflight carries no key");
  assert.match(options, /local\.cors_preflight_template/);
  const template = moduleLocal("cors_preflight_template");
  assert.match(template, /for origin in local\.cors_origins/);
  assert.match(template, /\$allowed\.contains\(\$origin\)/, "only an allowed origin gets the CORS headers");
  assert.match(moduleLocal("cors_origins"), /var\.cors_allowed_origins/);
  assert.match(moduleLocal("cors_origins"), /aws_cloudfront_distribution\.site\.domain_name/, "the admin panel's own site is allowed from the first deploy");
  assert.match(moduleLocal("common_environment"), /local\.cors_origins/, "the service allows the same origins");
  assert.match(moduleLocal("common_environment"), /Http__PublicPathBase = "\/\$\{var\.environment\}"/, "Location headers carry the stage, which is named after the environment");
});

test("API Gateway's account setting (one per account and region) is in the bootstrap, not in an environment", () => {
  const places = blocks.filter((b) => b.type === "aws_api_gateway_account").map((b) => b.file);
  assert.deepEqual(places, ["bootstrap/main.tf"]);
});

test("each API key has its own rate limit at the edge: a WAF rate rule on the x-api-key header, on the stage", () => {
  const acl = inModule("aws_wafv2_web_acl").find((b) => b.name === "api").body;
  assert.equal(acl.scope, "REGIONAL");
  const rule = acl.rule.find((r) => r.statement[0].rate_based_statement);
  const rate = rule.statement[0].rate_based_statement[0];
  assert.equal(rate.aggregate_key_type, "CUSTOM_KEYS");
  assert.equal(rate.custom_key[0].header[0].name, "x-api-key");
  assert.equal(rate.limit, "${var.api_key_rate_limit}");
  assert.equal(rule.action[0].block[0].custom_response[0].response_code, 429);
  const association = inModule("aws_wafv2_web_acl_association").find((b) => b.name === "api").body;
  assert.equal(association.resource_arn, "${aws_api_gateway_stage.api.arn}");
  assert.equal(association.web_acl_arn, "${aws_wafv2_web_acl.api.arn}");
});

test("orders waiting too long on the queue raise an alarm", () => {
  assert.equal(alarmsOn("ApproximateAgeOfOldestMessage", "aws_sqs_queue.inventory.name").length, 1);
});

test("the provider and Terraform versions are pinned in every root and module", () => {
  const pinned = [];
  for (const [file, content] of Object.entries(parsed)) {
    for (const block of content.terraform ?? []) {
      // "~> 1.10" takes 1.x releases from 1.10 on but not a new major; a bare ">=" would take 2.0 too.
      assert.equal(block.required_version, "~> 1.10", `${file}: required_version`);
      assert.equal(block.required_providers[0].aws.version, "~> 6.66", `${file}: the provider the schema snapshot was taken from`);
      pinned.push(file);
    }
  }
  assert.equal(pinned.length, 3, `a terraform block in the bootstrap, the environment and the module (found in ${pinned.join(", ")})`);
  assert.match(schema.provider, /hashicorp\/aws 6\.66/);
});

test("the Web Adapter layer follows the functions' architecture and region", () => {
  const layer = moduleLocal("web_adapter_layer_arn");
  // (The parser turns a conditional inside a string into a template directive.)
  assert.match(layer, /%\{if var\.architecture == "arm64"\}LambdaAdapterLayerArm64%\{else\}LambdaAdapterLayerX86%\{endif\}/);
  assert.match(layer, /data\.aws_region\.current\.region/);
  assert.match(layer, /var\.web_adapter_layer_version/);
  assert.deepEqual(inModule("aws_lambda_function").find((b) => b.name === "function").body.layers, ["${local.web_adapter_layer_arn}"]);
});

test("two sweeps never overlap: the jobs function has one reserved instance and does not pile up retries", () => {
  assert.equal(manifest.functions.jobs.reserved_concurrency, 1);
  const fn = inModule("aws_lambda_function").find((b) => b.name === "function").body;
  assert.match(fn.reserved_concurrent_executions, /lookup\(each\.value, "reserved_concurrency", -1\)/);
  const invoke = inModule("aws_lambda_function_event_invoke_config").find((b) => b.name === "jobs").body;
  assert.equal(invoke.maximum_retry_attempts, 0);
});

test("the environment root passes on every output of the module", () => {
  const moduleOutputs = Object.entries(parsed).filter(([file]) => file.startsWith("modules/inventory/")).flatMap(([, c]) => Object.keys(c.output ?? {}));
  const rootOutputs = parsed["environment/main.tf"].output;
  const missing = moduleOutputs.filter((name) => rootOutputs[name]?.[0]?.value !== `\${module.inventory.${name}}`);
  assert.deepEqual(missing, []);
});

test("a DynamoDB call with all its SDK retries ends well within every function's timeout", () => {
  const timeout = Number(manifest.environment.Storage__RequestTimeoutSeconds);
  const retries = Number(manifest.environment.Storage__MaxErrorRetries);
  assert.ok(timeout > 0 && Number.isInteger(retries) && retries >= 0, "deploy/functions.json sets both on Lambda");
  for (const [fn, f] of Object.entries(manifest.functions)) {
    // Half the function's time: a request makes more than one call, and the service still has to answer its 503.
    assert.ok((retries + 1) * timeout <= f.timeout_seconds / 2, `${fn}: ${retries + 1} attempts of ${timeout} s in a ${f.timeout_seconds} s function`);
  }
});
