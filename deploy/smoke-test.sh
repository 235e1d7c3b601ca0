#!/usr/bin/env bash
# The deployed service, end to end, in under a minute: deploy.sh runs it after every apply and moves the live alias
# back when it fails. It can be run by hand at any time:
#
#   deploy/smoke-test.sh API_URL KEYS_TABLE PROCESSED_ORDERS_TABLE QUEUE_URL REGION
#
# With a temporary Admin key (written to the key table as a hash, revoked at the end):
#   1. creates the product deploy-smoke-test (category deploy-smoke, never sold) if missing, with 1 unit;
#   2. GET /inventory/deploy-smoke-test                 (authorizer, read function, DynamoDB)
#   3. holds 1 unit and releases it                     (reserve function, transactions)
#   4. sends one ReserveInventory message for the unknown sku deploy-smoke-unknown and waits for its answer to be
#      recorded (queue function). Its InventoryReservationFailed answer, order id deploy-smoke-<time>, reaches the
#      order service's queue: the order service ignores orders it does not know.
set -euo pipefail

[ $# -eq 5 ] || { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
api_url="${1%/}" keys_table="$2" orders_table="$3" queue_url="$4" region="$5"
product=deploy-smoke-test
run="$(date -u +%Y%m%d%H%M%S)-$RANDOM"

fail() { echo "smoke test failed: $*" >&2; exit 1; }

secret="ik_smoke_$(openssl rand -hex 24)"
hash=$(printf '%s' "$secret" | sha256sum | cut -d' ' -f1)
key_id="${hash:0:16}"
now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
aws dynamodb put-item --region "$region" --table-name "$keys_table" --condition-expression 'attribute_not_exists(key_id)' \
  --item "{\"key_id\":{\"S\":\"$key_id\"},\"key_hash\":{\"S\":\"$hash\"},\"name\":{\"S\":\"deploy-smoke-$run\"},\"scope\":{\"S\":\"Admin\"},\"created_at\":{\"S\":\"$now\"}}"
# shellcheck disable=SC2317 # run by the trap
revoke() {
  aws dynamodb update-item --region "$region" --table-name "$keys_table" --key "{\"key_id\":{\"S\":\"$key_id\"}}" \
    --update-expression 'SET revoked_at = :now' --expression-attribute-values "{\":now\":{\"S\":\"$(date -u +%Y-%m-%dT%H:%M:%S.000Z)\"}}" >/dev/null
}
answer=$(mktemp)
trap 'revoke; rm -f "$answer"' EXIT

# call METHOD PATH [BODY [EXTRA HEADER]]: prints the status code; the body goes to $answer.
call() {
  local args=(-sS -o "$answer" -w '%{http_code}' -X "$1" -H "x-api-key: $secret" --max-time 30)
  [ $# -lt 3 ] || args+=(-H 'content-type: application/json' -d "$3")
  [ $# -lt 4 ] || args+=(-H "$4")
  curl "${args[@]}" "$api_url$2" || echo 000
}
expect() { # what status... (the last status is in $status)
  for code in "$@"; do [ "$status" = "$code" ] && return 0; done
  fail "$what answered $status, expected $*: $(head -c 500 "$answer")"
}

what="POST /products"
status=$(call POST /products "{\"sku\":\"$product\",\"name\":\"Deploy smoke test (not for sale)\",\"price\":0,\"category\":\"deploy-smoke\"}")
expect 200 201
what="GET /inventory/$product"
status=$(call GET "/inventory/$product")
expect 200
if grep -q '"available_count":0[,}]' "$answer"; then
  what="POST /inventory/$product/adjustments"
  status=$(call POST "/inventory/$product/adjustments" '{"delta":1,"reason":"deploy smoke test"}' "Idempotency-Key: smoke-$run")
  expect 200 201
fi
what="a hold"
status=$(call POST "/inventory/$product/reserve" "{\"quantity\":1,\"reservation_id\":\"smoke-$run\",\"ttl_seconds\":60}")
expect 201
what="its release"
status=$(call DELETE "/inventory/$product/reserve/smoke-$run")
expect 200 204
echo "smoke test: read, hold and release answered"

order="deploy-smoke-$run"
aws sqs send-message --region "$region" --queue-url "$queue_url" --output text --query MessageId --message-body \
  "{\"type\":\"ReserveInventory\",\"order_id\":\"$order\",\"customer_id\":\"deploy-smoke\",\"items\":[{\"sku\":\"deploy-smoke-unknown\",\"quantity\":1}],\"timestamp\":\"$now\"}" >/dev/null
for _ in $(seq 60); do
  found=$(aws dynamodb get-item --region "$region" --table-name "$orders_table" --key "{\"order_id\":{\"S\":\"$order\"}}" \
    --consistent-read --query 'Item.order_id.S' --output text)
  if [ "$found" = "$order" ]; then
    echo "smoke test: the queue message was answered"
    exit 0
  fi
  sleep 1
done
fail "the ReserveInventory message $order was not answered within 60 s (look at the queue function's log and inventory_dlq_url)"
