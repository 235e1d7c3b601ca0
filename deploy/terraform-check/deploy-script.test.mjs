// deploy/deploy.sh and deploy/smoke-test.sh against stand-ins of terraform, aws, make and curl that record what they
// are asked and answer like AWS: the account guard, where the admin key goes, the smoke test and the rollbacks.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const deployDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const functions = Object.keys(JSON.parse(readFileSync(join(deployDir, "functions.json"), "utf8")).functions);

const stubs = {
  // Lambda's aliases live in $STATE/alias-<function>; apply publishes version 4 of every function.
  terraform: String.raw`#!/usr/bin/env bash
echo "terraform $*" >> "$LOG"
args=" $* "
case "$args" in
  *" apply "*) for f in $FUNCTIONS; do echo 4 > "$STATE/alias-inventory-dev-$f"; done ;;
  *" output -raw api_url "*) echo "https://abc123.execute-api.eu-west-1.amazonaws.com/dev" ;;
  *" output -raw inventory_queue_url "*) echo "https://sqs.eu-west-1.amazonaws.com/111122223333/IMS-InventoryQueue-dev" ;;
  *" output -raw site_bucket "*) echo "inventory-dev-site-1" ;;
  *" output -raw site_distribution_id "*) echo "E123" ;;
  *" output -json table_names "*) echo '{"api_keys":"dev-inventory-api-keys","processed_orders":"dev-inventory-processed-orders"}' ;;
esac
`,
  aws: String.raw`#!/usr/bin/env bash
echo "aws $*" >> "$LOG"
case "$1 $2" in
  "sts get-caller-identity") echo "$ACCOUNT" ;;
  "apigateway get-account") echo "arn:aws:iam::111122223333:role/apigateway-cloudwatch-logs-eu-west-1" ;;
  "lambda get-alias") f=$(sed -E 's/.*--function-name ([^ ]+).*/\1/' <<< "$*"); [ -f "$STATE/alias-$f" ] || exit 254; cat "$STATE/alias-$f" ;;
  "lambda list-versions-by-function") printf '$LATEST\t1\t2\t3\t4\n' ;;
  "lambda update-alias") f=$(sed -E 's/.*--function-name ([^ ]+).*/\1/' <<< "$*"); v=$(sed -E 's/.*--function-version ([^ ]+).*/\1/' <<< "$*"); echo "$v" > "$STATE/alias-$f"; echo "$v" ;;
  "dynamodb scan") echo 0 ;;
  "s3 cp") mkdir -p "$STATE/site"; cp -R "$3/." "$STATE/site/" ;;
  "dynamodb get-item") sed -E 's/.*"order_id":\{"S":"([^"]+)"\}.*/\1/' <<< "$*" ;;
esac
`,
  make: "#!/bin/sh\necho \"make $*\" >> \"$LOG\"\n",
  // The API: every call answers as a healthy deployment does, but GET answers $GET_STATUS.
  curl: String.raw`#!/usr/bin/env bash
echo "curl $*" >> "$LOG"
out=/dev/null; method=GET
while [ $# -gt 0 ]; do case "$1" in -o) out="$2"; shift ;; -X) method="$2"; shift ;; esac; shift; done
echo '{"available_count":1}' > "$out"
case "$method" in POST) printf 201 ;; DELETE) printf 204 ;; *) printf '%s' "\${GET_STATUS:-200}" ;; esac
`,
};

/** A copy of the deploy scripts with a dev environment, a built front end, and the stand-ins first on PATH. */
function workspace(aliases = {}) {
  const root = mkdtempSync(join(tmpdir(), "deploy-test-"));
  for (const file of ["deploy.sh", "smoke-test.sh", "functions.json"]) cpSync(join(deployDir, file), join(root, "deploy", file));
  mkdirSync(join(root, "deploy", "terraform", "environment"), { recursive: true });
  writeFileSync(join(root, "deploy", "terraform", "environment", "dev.tfvars"), 'environment = "dev"\naccount_id = "111122223333"\nregion = "eu-west-1"\n');
  mkdirSync(join(root, "web", "dist"), { recursive: true });
  writeFileSync(join(root, "web", "dist", "admin-panel.html"), '<html data-allowed-apis="">');
  writeFileSync(join(root, "web", "dist", "demo.html"), "<html>");
  for (const [name, body] of Object.entries(stubs)) {
    mkdirSync(join(root, "bin"), { recursive: true });
    writeFileSync(join(root, "bin", name), body.replaceAll("\\${", "${"));
    chmodSync(join(root, "bin", name), 0o755);
  }
  mkdirSync(join(root, "state"));
  for (const [fn, version] of Object.entries(aliases)) writeFileSync(join(root, "state", `alias-inventory-dev-${fn}`), `${version}\n`);
  writeFileSync(join(root, "package.zip"), "zip");
  return root;
}

function run(root, args, env = {}) {
  const result = spawnSync("bash", [join(root, "deploy", "deploy.sh"), ...args], {
    encoding: "utf8",
    env: {
      PATH: `${join(root, "bin")}:${process.env.PATH}`, HOME: root, LOG: join(root, "log"), STATE: join(root, "state"),
      FUNCTIONS: functions.join(" "), ACCOUNT: "111122223333", TF_STATE_BUCKET: "state-bucket", INVENTORY_PACKAGE: join(root, "package.zip"), ...env,
    },
  });
  const log = existsSync(join(root, "log")) ? readFileSync(join(root, "log"), "utf8") : "";
  const alias = (fn) => readFileSync(join(root, "state", `alias-inventory-dev-${fn}`), "utf8").trim();
  return { ...result, log, alias };
}

test("credentials for another account than the environment's are refused before anything is built or planned", () => {
  const root = workspace();
  const result = run(root, ["dev"], { ACCOUNT: "999999999999" });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /account 999999999999, but dev lives in 111122223333/);
  assert.doesNotMatch(result.log, /terraform|make /);
});

test("the first deploy writes the admin key to a file only its owner reads, never to the output, and smoke-tests", () => {
  const root = workspace();
  const result = run(root, ["dev"]);
  assert.equal(result.status, 0, result.stderr);
  const dir = join(root, ".inventory");
  const [file] = readdirSync(dir);
  const secret = readFileSync(join(dir, file), "utf8").trim();
  assert.match(secret, /^ik_[A-Za-z0-9_-]{43}$/);
  assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
  assert.ok(!result.stdout.includes(secret) && !result.stderr.includes(secret), "the key was printed");
  assert.ok(!result.log.includes(secret), "the key reached a command line");
  assert.match(result.stdout, /written to .*first-admin\.key \(mode 0600\)/);
  assert.match(result.log, /curl .*-X POST .*\/dev\/inventory\/deploy-smoke-test\/reserve/);
  assert.match(result.log, /aws sqs send-message .*deploy-smoke-/);
  assert.match(result.log, /aws s3 sync .* s3:\/\/inventory-dev-site-1\/ --delete/, "stale site files must be deleted");
});

test("a release that fails its smoke test is rolled back to the versions that were live before it", () => {
  const root = workspace(Object.fromEntries(functions.map((fn) => [fn, 3])));
  const result = run(root, ["dev"], { GET_STATUS: "502" });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /smoke test failed: GET \/inventory\/deploy-smoke-test answered 502/);
  for (const fn of functions) assert.equal(result.alias(fn), "3", `${fn} stayed on the failed release`);
  assert.doesNotMatch(result.log, /aws s3 /, "the site of a failed release must not be uploaded");
});

test("--rollback moves every live alias one version back, without Terraform or a build", () => {
  const root = workspace(Object.fromEntries(functions.map((fn) => [fn, 4])));
  const result = run(root, ["dev", "--rollback"]);
  assert.equal(result.status, 0, result.stderr);
  for (const fn of functions) assert.equal(result.alias(fn), "3");
  assert.doesNotMatch(result.log, /terraform|make /);
});

test("the uploaded admin panel sends its key to this environment's API and no other", () => {
  const root = workspace();
  const result = run(root, ["dev"]);
  assert.equal(result.status, 0, result.stderr);
  const panel = readFileSync(join(root, "state", "site", "admin-panel.html"), "utf8");
  assert.match(panel, /data-allowed-apis="https:\/\/abc123\.execute-api\.eu-west-1\.amazonaws\.com"/);
});

test("--new-admin-key stores a new Admin key's hash and writes the key to a file only its owner reads, without a plan or a build", () => {
  const root = workspace(Object.fromEntries(functions.map((fn) => [fn, 4])));
  const result = run(root, ["dev", "--new-admin-key"]);
  assert.equal(result.status, 0, result.stderr);
  const dir = join(root, ".inventory");
  const [file] = readdirSync(dir);
  assert.equal(statSync(join(dir, file)).mode & 0o777, 0o600);
  const secret = readFileSync(join(dir, file), "utf8").trim();
  assert.match(secret, /^ik_[A-Za-z0-9_-]{43}$/);
  const hash = createHash("sha256").update(secret).digest("hex");
  const put = result.log.split("\n").find((line) => line.startsWith("aws dynamodb put-item"));
  assert.ok(put, "no key was written");
  assert.match(put, /--table-name dev-inventory-api-keys --condition-expression attribute_not_exists\(key_id\)/);
  assert.ok(put.includes(`"key_hash":{"S":"${hash}"}`) && put.includes('"scope":{"S":"Admin"}'), put);
  assert.ok(!put.includes(secret) && !result.stdout.includes(secret), "the key itself left the file");
  assert.doesNotMatch(result.log, /terraform (plan|apply)|make /);
});
