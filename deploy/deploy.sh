#!/usr/bin/env bash
# Deploys the inventory service to AWS: the third command, after `make start` and `make test`.
#
#   deploy/deploy.sh ENV [--plan-only] [--arch arm64|x86_64]
#
# ENV names a variables file deploy/terraform/environment/ENV.tfvars (copy dev.tfvars.example or prod.tfvars.example).
# TF_STATE_BUCKET names the state bucket made once per account by deploy/terraform/bootstrap.
# Steps: check tools and credentials, build the Lambda package and the front end, terraform init/plan/apply,
# upload web/dist to the site bucket, create the first admin key if there is none, print the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
fail() { echo "error: $*" >&2; exit 1; }

env_name=""
plan_only=false
arch=arm64
while [ $# -gt 0 ]; do
  case "$1" in
    --plan-only) plan_only=true ;;
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

# Fail before building anything when a tool or the credentials are missing.
command -v terraform >/dev/null || fail "terraform (1.10 or newer) is not installed: https://developer.hashicorp.com/terraform/install"
command -v aws >/dev/null || fail "the AWS CLI v2 is not installed (it uploads the site and creates the first key): https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html"
aws sts get-caller-identity >/dev/null 2>&1 || fail "no usable AWS credentials (aws sts get-caller-identity failed): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
[ -n "${TF_STATE_BUCKET:-}" ] || fail "set TF_STATE_BUCKET to the state bucket made by deploy/terraform/bootstrap (docs/deploy.md)"
vars="$env_dir/$env_name.tfvars"
[ -f "$vars" ] || fail "$vars is missing: copy $env_name.tfvars.example to it and fill it in"
region=$(sed -n 's/^region *= *"\(.*\)"/\1/p' "$vars" | head -1)
region=${region:-eu-west-1}

make package ARCH="$arch" MODE=aot
make web
package="$PWD/artifacts/lambda/inventory-$arch-aot.zip"

tf() { terraform -chdir="$env_dir" "$@"; }
# One root, one state per environment: -reconfigure switches the backend key when another environment ran last.
tf init -input=false -reconfigure -backend-config="bucket=$TF_STATE_BUCKET" -backend-config="region=$region" \
  -backend-config="key=inventory/$env_name/terraform.tfstate"
tf plan -input=false -var-file="$env_name.tfvars" -var "package_zip=$package" -var "architecture=$arch" -out=tfplan
if [ "$plan_only" = true ]; then
  echo "Plan written to $env_dir/tfplan; nothing was changed."
  exit 0
fi
tf apply -input=false tfplan

# The front end: files are not fingerprinted, so browsers revalidate them (as the service does locally).
bucket=$(tf output -raw site_bucket)
upload() { # pattern content-type
  aws s3 cp web/dist "s3://$bucket/" --recursive --exclude '*' --include "$1" --exclude '.built' --exclude 'admin-panel.html' \
    --content-type "$2" --cache-control "no-cache" --only-show-errors
}
# The admin panel sends its key only to its own origin or an API its page allows: this environment's API.
api_origin=$(tf output -raw api_url | sed -E 's#^(https://[^/]+).*#\1#')
[[ "$api_origin" =~ ^https://[^/]+$ ]] || fail "the api_url output ($(tf output -raw api_url)) is not an https URL"
panel_dir=$(mktemp -d)
trap 'rm -rf "$panel_dir"' EXIT
sed "s#data-allowed-apis=\"\"#data-allowed-apis=\"$api_origin\"#" web/dist/admin-panel.html > "$panel_dir/admin-panel.html"
grep -q "data-allowed-apis=\"$api_origin\"" "$panel_dir/admin-panel.html" || fail "could not name the API in the admin panel's data-allowed-apis"
aws s3 cp "$panel_dir/admin-panel.html" "s3://$bucket/admin-panel.html" \
  --content-type 'text/html; charset=utf-8' --cache-control "no-cache" --only-show-errors
upload '*.html' 'text/html; charset=utf-8'
upload '*.js' 'text/javascript; charset=utf-8'
upload '*.map' 'application/json'
upload '*.d.ts' 'text/plain; charset=utf-8'
upload '*.css' 'text/css; charset=utf-8'
upload '*.png' 'image/png'
aws cloudfront create-invalidation --distribution-id "$(tf output -raw site_distribution_id)" --paths '/*' >/dev/null

# The first admin key, when the key table is empty: created here, shown once, only its hash stored.
keys_table=$(tf output -json table_names | sed -n 's/.*"api_keys": *"\([^"]*\)".*/\1/p')
count=$(aws dynamodb scan --region "$region" --table-name "$keys_table" --select COUNT --query Count --output text)
if [ "$count" = "0" ]; then
  secret="ik_$(openssl rand 32 | base64 | tr '+/' '-_' | tr -d '=\n')"
  hash=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  aws dynamodb put-item --region "$region" --table-name "$keys_table" --condition-expression 'attribute_not_exists(key_id)' \
    --item "{\"key_id\":{\"S\":\"${hash:0:16}\"},\"key_hash\":{\"S\":\"$hash\"},\"name\":{\"S\":\"first-admin\"},\"scope\":{\"S\":\"Admin\"},\"created_at\":{\"S\":\"$now\"}}"
  echo
  echo "First admin key (shown once; create the others with POST /admin/keys, then revoke this one):"
  echo "  $secret"
fi

echo
tf output
