#!/usr/bin/env bash
# Deploys the inventory service to AWS: the third command, after `make start` and `make test`.
#
#   deploy/deploy.sh ENV [--plan-only] [--arch arm64|x86_64] [--skip-smoke-test]
#   deploy/deploy.sh ENV --rollback         move every function's live alias back to its previous version (seconds)
#   deploy/deploy.sh ENV --new-admin-key    write a new Admin key to the key table (a lost first key)
#
# ENV names a variables file deploy/terraform/environment/ENV.tfvars (copy dev.tfvars.example or prod.tfvars.example);
# its account_id must be the account of the credentials. TF_STATE_BUCKET names the state bucket made once per account
# by deploy/terraform/bootstrap (TF_STATE_REGION its region, if not the environment's). INVENTORY_PACKAGE deploys a
# zip built before (by make package) instead of building one.
# Steps: check tools, credentials and account, build the Lambda package and the front end, terraform init/plan/apply
# (which publishes new versions and points the live aliases at them), create the first admin key if there is none,
# run deploy/smoke-test.sh (on failure, move the aliases back and stop), upload web/dist, print the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { echo "error: $*" >&2; exit 1; }

env_name=""
action=deploy
plan_only=false
smoke=true
arch=arm64
while [ $# -gt 0 ]; do
  case "$1" in
    --plan-only) plan_only=true ;;
    --skip-smoke-test) smoke=false ;;
    --rollback) action=rollback ;;
    --new-admin-key) action=new-admin-key ;;
    --arch) arch="${2:-}"; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) usage >&2; fail "unknown option $1" ;;
    *) env_name="$1" ;;
  esac
  shift
done
[ -n "$env_name" ] || { usage >&2; fail "name the environment (dev or prod)"; }
env_dir="deploy/terraform/environment"
[[ "$env_name" =~ ^[a-z][a-z0-9-]*$ ]] || fail "environment names are lower-case letters, digits and '-' (got '$env_name')"
[ -f "$env_dir/$env_name.tfvars" ] || [ -f "$env_dir/$env_name.tfvars.example" ] \
  || fail "no environment '$env_name': create $env_dir/$env_name.tfvars (see dev.tfvars.example)"
case "$arch" in arm64|x86_64) ;; *) fail "--arch must be arm64 or x86_64" ;; esac

# Fail before building anything when a tool, the credentials or the account are wrong.
command -v terraform >/dev/null || fail "terraform (1.10 or a later 1.x) is not installed: https://developer.hashicorp.com/terraform/install"
command -v aws >/dev/null || fail "the AWS CLI v2 is not installed (it uploads the site and creates the first key): https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
account=$(aws sts get-caller-identity --query Account --output text 2>/dev/null) \
  || fail "no usable AWS credentials (aws sts get-caller-identity failed): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
[ -n "${TF_STATE_BUCKET:-}" ] || fail "set TF_STATE_BUCKET to the state bucket made by deploy/terraform/bootstrap (docs/deploy.md)"
vars="$env_dir/$env_name.tfvars"
[ -f "$vars" ] || fail "$vars is missing: copy $env_name.tfvars.example to it and fill it in"
setting() { sed -n "s/^$1 *= *\"\(.*\)\"/\1/p" "$vars" | head -1; }
expected_account=$(setting account_id)
[ -n "$expected_account" ] || fail "$vars sets no account_id: the 12-digit account this environment lives in"
[ "$account" = "$expected_account" ] \
  || fail "these credentials are for account $account, but $env_name lives in $expected_account ($vars): nothing was changed"
region=$(setting region)
region=${region:-eu-west-1}
export AWS_REGION="$region"

functions=$(node -p 'Object.keys(require("./deploy/functions.json").functions).join(" ")')
function_name() { echo "inventory-$env_name-$1"; }
live_version() { aws lambda get-alias --function-name "$(function_name "$1")" --name live --query FunctionVersion --output text 2>/dev/null || true; }
move_alias() { # function version
  aws lambda update-alias --function-name "$(function_name "$1")" --name live --function-version "$2" --query FunctionVersion --output text >/dev/null
  echo "  $(function_name "$1"): live -> version $2"
}

# The first admin key, or a new one: created here, written to a file only its owner can read (never to the
# terminal or a CI log), only its hash stored.
write_admin_key() { # key table, key name
  local dir="${INVENTORY_SECRETS_DIR:-$HOME/.inventory}" secret hash now file
  secret="ik_$(openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=\n')"
  hash=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  aws dynamodb put-item --table-name "$1" --condition-expression 'attribute_not_exists(key_id)' \
    --item "{\"key_id\":{\"S\":\"${hash:0:16}\"},\"key_hash\":{\"S\":\"$hash\"},\"name\":{\"S\":\"$2\"},\"scope\":{\"S\":\"Admin\"},\"created_at\":{\"S\":\"$now\"}}"
  mkdir -p "$dir"
  chmod 700 "$dir"
  file="$dir/$env_name-$2.key"
  (umask 077 && printf '%s\n' "$secret" > "$file")
  echo "Admin key '$2' (key id ${hash:0:16}) written to $file (mode 0600): move it to your secret store and delete the file."
}

if [ "$action" = rollback ]; then
  # The previous version of each function is the newest published one below the live one: what the last deploy replaced.
  echo "Moving the live aliases of $env_name back one version:"
  for fn in $functions; do
    current=$(live_version "$fn")
    [[ "$current" =~ ^[0-9]+$ ]] || fail "$(function_name "$fn") has no live alias (was $env_name deployed?)"
    previous=$(aws lambda list-versions-by-function --function-name "$(function_name "$fn")" --query 'Versions[].Version' --output text \
      | tr '\t' '\n' | grep -E '^[0-9]+$' | awk -v c="$current" '$1 < c' | sort -n | tail -1)
    [ -n "$previous" ] || fail "$(function_name "$fn") has no version before $current"
    move_alias "$fn" "$previous"
  done
  echo "Rolled back. The next deploy.sh $env_name moves the aliases to what it builds."
  exit 0
fi

tf() { terraform -chdir="$env_dir" "$@"; }
# One root, one state per environment: -reconfigure switches the backend key when another environment ran last.
tf_init() {
  tf init -input=false -reconfigure -backend-config="bucket=$TF_STATE_BUCKET" -backend-config="region=${TF_STATE_REGION:-$region}" \
    -backend-config="key=inventory/$env_name/terraform.tfstate" >/dev/null
}

if [ "$action" = new-admin-key ]; then
  tf_init
  write_admin_key "$(tf output -json table_names | sed -n 's/.*"api_keys": *"\([^"]*\)".*/\1/p')" "admin-$(date -u +%Y%m%d%H%M%S)"
  exit 0
fi

# API Gateway writes the access logs through the role of its account setting, made by the bootstrap in this region.
role=$(aws apigateway get-account --query cloudwatchRoleArn --output text 2>/dev/null || true)
[[ "$role" == arn:* ]] || fail "API Gateway in $region has no CloudWatch role: run deploy/terraform/bootstrap for $region first (docs/deploy.md)"

if [ -n "${INVENTORY_PACKAGE:-}" ]; then
  [ -f "$INVENTORY_PACKAGE" ] || fail "INVENTORY_PACKAGE=$INVENTORY_PACKAGE is not a file"
  package=$(cd "$(dirname "$INVENTORY_PACKAGE")" && echo "$PWD/$(basename "$INVENTORY_PACKAGE")")
else
  make package ARCH="$arch" MODE=aot
  package="$PWD/artifacts/lambda/inventory-$arch-aot.zip"
fi
make web

tf_init
tf plan -input=false -var-file="$env_name.tfvars" -var "package_zip=$package" -var "architecture=$arch" -out=tfplan
if [ "$plan_only" = true ]; then
  echo "Plan written to $env_dir/tfplan; nothing was changed."
  exit 0
fi

# What is live now, to go back to if the new release fails its smoke test (nothing, on the first deploy).
declare -A before=()
for fn in $functions; do
  version=$(live_version "$fn")
  [[ "$version" =~ ^[0-9]+$ ]] && before[$fn]=$version
done

tf apply -input=false tfplan

keys_table=$(tf output -json table_names | sed -n 's/.*"api_keys": *"\([^"]*\)".*/\1/p')
count=$(aws dynamodb scan --table-name "$keys_table" --select COUNT --query Count --output text)
if [ "$count" = "0" ]; then
  write_admin_key "$keys_table" first-admin
fi

if [ "$smoke" = true ]; then
  orders_table=$(tf output -json table_names | sed -n 's/.*"processed_orders": *"\([^"]*\)".*/\1/p')
  if ! deploy/smoke-test.sh "$(tf output -raw api_url)" "$keys_table" "$orders_table" "$(tf output -raw inventory_queue_url)" "$region"; then
    if [ "${#before[@]}" -eq 0 ]; then
      fail "the smoke test failed on the first deploy of $env_name: nothing to roll back to; see docs/deploy.md"
    fi
    echo "The smoke test failed: moving the live aliases back to the versions that were live before this deploy." >&2
    for fn in "${!before[@]}"; do move_alias "$fn" "${before[$fn]}"; done
    fail "deploy of $env_name rolled back (the infrastructure changes of this apply stay; see docs/deploy.md)"
  fi
fi

# The front end: files are not fingerprinted, so browsers revalidate them (as the service does locally). The admin
# panel sends its key only to its own origin or an API its page allows: this environment's API.
bucket=$(tf output -raw site_bucket)
api_origin=$(tf output -raw api_url | sed -E 's#^(https://[^/]+).*#\1#')
[[ "$api_origin" =~ ^https://[^/]+$ ]] || fail "the api_url output ($(tf output -raw api_url)) is not an https URL"
site=$(mktemp -d)
trap 'rm -rf "$site"' EXIT
cp -R web/dist/. "$site/"
rm -f "$site/.built"
sed "s#data-allowed-apis=\"\"#data-allowed-apis=\"$api_origin\"#" web/dist/admin-panel.html > "$site/admin-panel.html"
grep -q "data-allowed-apis=\"$api_origin\"" "$site/admin-panel.html" || fail "could not name the API in the admin panel's data-allowed-apis"
upload() { # pattern content-type
  aws s3 cp "$site" "s3://$bucket/" --recursive --exclude '*' --include "$1" --content-type "$2" --cache-control no-cache --only-show-errors
}
upload '*.html' 'text/html; charset=utf-8'
upload '*.js' 'text/javascript; charset=utf-8'
upload '*.map' 'application/json'
upload '*.d.ts' 'text/plain; charset=utf-8'
upload '*.css' 'text/css; charset=utf-8'
upload '*.png' 'image/png'
# Everything is uploaded now; this removes what an earlier release had and this one has not.
aws s3 sync "$site" "s3://$bucket/" --delete --cache-control no-cache --only-show-errors
aws cloudfront create-invalidation --distribution-id "$(tf output -raw site_distribution_id)" --paths '/*' >/dev/null

echo
tf output
