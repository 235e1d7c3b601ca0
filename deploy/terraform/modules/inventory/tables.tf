# Tables exactly as the service's TableProvisioner creates them locally (keys, indexes, TTL attributes, streams).
# On-demand, point-in-time recovery, encrypted (AWS-managed key unless kms_key_arn is given).

# Its stream feeds the stream function, which derives each row's stored status and its low-stock alerts from
# every change: both images, so a record alone tells which status band the row left and which it entered.
resource "aws_dynamodb_table" "inventory" {
  name                        = local.table_names.inventory
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  range_key                   = "warehouse_id"
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"

  attribute {
    name = "product_id"
    type = "S"
  }
  attribute {
    name = "warehouse_id"
    type = "S"
  }
  attribute {
    name = "category"
    type = "S"
  }
  attribute {
    name = "status"
    type = "S"
  }
  attribute {
    name = "hot"
    type = "S"
  }

  global_secondary_index {
    name            = "category-index"
    hash_key        = "category"
    range_key       = "product_id"
    projection_type = "KEYS_ONLY"
  }
  global_secondary_index {
    name            = "status-index"
    hash_key        = "status"
    range_key       = "product_id"
    projection_type = "KEYS_ONLY"
  }
  # Sparse: only hot rows carry "hot". Every instance reads it about once a second to route holds over sub-rows.
  global_secondary_index {
    name               = "hot-index"
    hash_key           = "hot"
    range_key          = "product_id"
    projection_type    = "INCLUDE"
    non_key_attributes = ["sub_rows", "folding"]
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

resource "aws_dynamodb_table" "reservations" {
  name                        = local.table_names.reservations
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  range_key                   = "reservation_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "product_id"
    type = "S"
  }
  attribute {
    name = "reservation_id"
    type = "S"
  }
  attribute {
    name = "active_shard"
    type = "S"
  }
  attribute {
    name = "expires_at_epoch"
    type = "N"
  }

  # Sparse: only ACTIVE holds carry active_shard, so the sweep reads due holds and nothing else.
  global_secondary_index {
    name            = "active-expiry-index"
    hash_key        = "active_shard"
    range_key       = "expires_at_epoch"
    projection_type = "KEYS_ONLY"
  }

  # Garbage collection of finished holds, days after they end; never the release mechanism.
  ttl {
    attribute_name = "reservation_expiry"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

resource "aws_dynamodb_table" "products" {
  name                        = local.table_names.products
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "sku"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "sku"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# The product search index: one item per word of a product's name and sku, written in the transaction that creates
# the product. Partition = the word's first two characters, sort key = word#sku, so a prefix search is one Query.
resource "aws_dynamodb_table" "product_search" {
  name                        = local.table_names.product_search
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "search_prefix"
  range_key                   = "search_term"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "search_prefix"
    type = "S"
  }
  attribute {
    name = "search_term"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

resource "aws_dynamodb_table" "idempotency" {
  name                        = local.table_names.idempotency
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "idempotency_key"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "idempotency_key"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# The alert outbox: its stream feeds the pipe to the inventory-alerts topic.
resource "aws_dynamodb_table" "alerts" {
  name                        = local.table_names.alerts
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "alert_stream"
  range_key                   = "alert_key"
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = true
  stream_view_type            = "NEW_IMAGE"

  attribute {
    name = "alert_stream"
    type = "S"
  }
  attribute {
    name = "alert_key"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# The stock history: one entry per change of a row's counts, written by the stream function from the inventory
# table's stream. Keyed by product and "<warehouse>#<move number>", so a redelivered record rewrites its own entry and
# a row's entries are in the order of its changes. TTL ends each entry History__RetentionDays after its change.
resource "aws_dynamodb_table" "history" {
  name                        = local.table_names.history
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  range_key                   = "move_key"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "product_id"
    type = "S"
  }
  attribute {
    name = "move_key"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# The order-result outbox: its stream feeds the pipe to the order service's queue.
resource "aws_dynamodb_table" "processed_orders" {
  name                        = local.table_names.processed_orders
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "order_id"
  deletion_protection_enabled = var.deletion_protection
  stream_enabled              = true
  stream_view_type            = "NEW_IMAGE"

  attribute {
    name = "order_id"
    type = "S"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# Days of cover: per row, one sales counter per UTC day ("day#<warehouse>#<date>", TTL 35 days after its day) and one
# cover state ("cover#<warehouse>"), written by the stream function. The sparse cover-index holds the cover states of rows
# that sold something in 28 days, sorted by zero-padded days of cover, for GET /admin/cover.
resource "aws_dynamodb_table" "velocity" {
  name                        = local.table_names.velocity
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "product_id"
  range_key                   = "velocity_key"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "product_id"
    type = "S"
  }
  attribute {
    name = "velocity_key"
    type = "S"
  }
  attribute {
    name = "cover_list"
    type = "S"
  }
  attribute {
    name = "cover_rank"
    type = "S"
  }

  # Projects everything: the sort key moves with nearly every write of a cover state, so the index is written then anyway.
  global_secondary_index {
    name            = "cover-index"
    hash_key        = "cover_list"
    range_key       = "cover_rank"
    projection_type = "ALL"
  }

  ttl {
    attribute_name = "ttl"
    enabled        = true
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

resource "aws_dynamodb_table" "api_keys" {
  name                        = local.table_names.api_keys
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "key_id"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "key_id"
    type = "S"
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}

# Inbound shipments (purchase orders) and their receipts. A product's partition holds its shipment lines, a shipment's
# partition ("shipment#<id>") the shipment and its receipts. A line carries open_key only while it still brings units,
# so the local index holds a product's open lines and nothing else: GET /inventory reads its incoming units in one
# strongly consistent Query (a global index could not be read strongly consistent).
resource "aws_dynamodb_table" "shipments" {
  name                        = local.table_names.shipments
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "partition_key"
  range_key                   = "item_key"
  deletion_protection_enabled = var.deletion_protection

  attribute {
    name = "partition_key"
    type = "S"
  }
  attribute {
    name = "item_key"
    type = "S"
  }
  attribute {
    name = "open_key"
    type = "S"
  }

  local_secondary_index {
    name            = "open-lines-index"
    range_key       = "open_key"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
  tags = local.tags
}
