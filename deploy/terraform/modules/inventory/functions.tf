# One package, one function per entry of deploy/functions.json, each with its own role holding exactly the
# DynamoDB actions the file grants it (per table and index), plus its own log group. The two functions fed by an
# event source mapping (queue, stream) also hold what Lambda needs to read that source for them.
#
# Every deploy publishes a version of each function and points its `live` alias at it; everything that invokes a
# function (API Gateway, the authorizer, the event source mappings, the schedules, the pipes) invokes the alias.
# So a rollback is one alias update per function (deploy/deploy.sh --rollback), seconds, no build. The zip of every
# build stays in the versioned packages bucket, named by its hash.

locals {
  # "reservations/index/active-expiry-index" -> the index's ARN; "reservations" -> the table's.
  dynamodb_statements = {
    for fn, f in local.manifest.functions : fn => [
      for resource, actions in f.dynamodb : {
        Effect   = "Allow"
        Action   = [for action in actions : "dynamodb:${action}"]
        Resource = length(split("/", resource)) == 1 ? local.table_arns[resource] : "${local.table_arns[split("/", resource)[0]]}/index/${split("/", resource)[2]}"
      }
    ]
  }

  # Settings every function gets: the adapter's, the table names, the allowed browser origins, the history's retention.
  common_environment = merge(
    local.manifest.environment,
    { for key, table in local.manifest.tables : table.setting => local.table_names[key] },
    { for i, origin in local.cors_origins : "Cors__AllowedOrigins__${i}" => origin },
    { History__RetentionDays = tostring(var.history_retention_days) },
    # API Gateway's address carries the stage, the function's paths do not: Location headers get it back.
    { Http__PublicPathBase = "/${var.environment}" },
  )

  # The adapter's layer of the functions' architecture, in their region.
  web_adapter_layer_arn = "arn:aws:lambda:${data.aws_region.current.region}:753240598075:layer:${var.architecture == "arm64" ? "LambdaAdapterLayerArm64" : "LambdaAdapterLayerX86"}:${var.web_adapter_layer_version}"

  live_alias = "live"
}

# Every build's zip, named by its hash; the bucket keeps replaced objects as noncurrent versions for 180 days.
resource "aws_s3_bucket" "packages" {
  bucket_prefix = "${local.name}-packages-"
  force_destroy = var.environment != "prod"
  tags          = local.tags
}

resource "aws_s3_bucket_versioning" "packages" {
  bucket = aws_s3_bucket.packages.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "packages" {
  bucket = aws_s3_bucket.packages.id
  rule {
    id     = "old-builds"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 180
    }
  }
  depends_on = [aws_s3_bucket_versioning.packages]
}

resource "aws_s3_bucket_public_access_block" "packages" {
  bucket                  = aws_s3_bucket.packages.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_server_side_encryption_configuration" "packages" {
  bucket = aws_s3_bucket.packages.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_object" "package" {
  bucket      = aws_s3_bucket.packages.id
  key         = "inventory-${var.architecture}-${filesha256(var.package_zip)}.zip"
  source      = var.package_zip
  source_hash = filesha256(var.package_zip)
  tags        = local.tags
  depends_on  = [aws_s3_bucket_versioning.packages]
}

resource "aws_iam_role" "function" {
  for_each = local.manifest.functions
  name     = "${local.name}-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "lambda.amazonaws.com" } }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "function" {
  for_each = local.manifest.functions
  name     = "least-privilege"
  role     = aws_iam_role.function[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      local.dynamodb_statements[each.key],
      [{
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.function[each.key].arn}:*"
      }],
      each.key == "queue" ? [{
        Effect   = "Allow"
        Action   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ChangeMessageVisibility"]
        Resource = aws_sqs_queue.inventory.arn
      }] : [],
      # Lambda reads the stream for the stream function, and sends what it gives up on to the dead-letter queue,
      # both with this role.
      each.key == "stream" ? [{
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = aws_dynamodb_table.inventory.stream_arn
      }] : [],
      # ListStreams names no resource: IAM checks it only against "*".
      each.key == "stream" ? [{
        Effect   = "Allow"
        Action   = ["dynamodb:ListStreams"]
        Resource = "*"
      }] : [],
      each.key == "stream" ? [{
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = aws_sqs_queue.stream_dlq.arn
      }] : [],
      var.kms_key_arn == null ? [] : [{
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
        Resource = var.kms_key_arn
      }],
    )
  })
}

resource "aws_cloudwatch_log_group" "function" {
  for_each          = local.manifest.functions
  name              = "/aws/lambda/${local.name}-${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_lambda_function" "function" {
  for_each         = local.manifest.functions
  function_name    = "${local.name}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.function[each.key].arn
  s3_bucket        = aws_s3_object.package.bucket
  s3_key           = aws_s3_object.package.key
  source_code_hash = filebase64sha256(var.package_zip)
  publish          = true
  # Native AOT (make package): the zip's bootstrap starts the service; the Web Adapter layer is the runtime client.
  runtime       = "provided.al2023"
  handler       = "bootstrap"
  architectures = [var.architecture]
  layers        = [local.web_adapter_layer_arn]
  memory_size   = each.value.memory_mb
  timeout       = each.value.timeout_seconds
  # -1: no reservation.
  reserved_concurrent_executions = var.limit_jobs_concurrency ? lookup(each.value, "reserved_concurrency", -1) : -1

  environment {
    # The function's own settings (deploy/functions.json); the authorizer also names each scope's usage-plan key,
    # which API Gateway meters the request against.
    variables = merge(
      local.common_environment,
      lookup(each.value, "environment", {}),
      { for scope, key in aws_api_gateway_api_key.tier : "ApiKeys__UsageIdentifierKeys__${scope}" => key.value if each.key == "authorizer" },
    )
  }

  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.function[each.key].name
  }

  tags       = local.tags
  depends_on = [aws_iam_role_policy.function]
}

# What every caller invokes; deploy/deploy.sh --rollback moves it to the previous version.
resource "aws_lambda_alias" "live" {
  for_each         = local.manifest.functions
  name             = local.live_alias
  description      = "The version in service."
  function_name    = aws_lambda_function.function[each.key].function_name
  function_version = aws_lambda_function.function[each.key].version
}
