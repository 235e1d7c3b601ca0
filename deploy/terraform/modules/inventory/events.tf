# Events in: the order service's ReserveInventory messages (SQS) and the two schedules.
# Events out: the outbox tables' streams, through EventBridge Pipes, to the inventory-alerts topic and to the
# order service's queue. Only INSERTs of the right records pass the filters: TTL deletions and the live feed's
# cursor records never leave.

resource "aws_sqs_queue" "inventory_dlq" {
  name                              = "IMS-InventoryQueue-DLQ${var.environment == "prod" ? "" : "-${var.environment}"}"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = local.tags
}

resource "aws_sqs_queue" "inventory" {
  name = "IMS-InventoryQueue${var.environment == "prod" ? "" : "-${var.environment}"}"
  # Six times the consumer's timeout, as Lambda recommends, so a slow batch is not delivered twice at once.
  visibility_timeout_seconds        = 6 * local.manifest.functions.queue.timeout_seconds
  message_retention_seconds         = 345600
  kms_master_key_id                 = var.kms_key_arn
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.inventory_dlq.arn
    maxReceiveCount     = 5
  })
  tags = local.tags
}

resource "aws_lambda_event_source_mapping" "inventory_queue" {
  event_source_arn        = aws_sqs_queue.inventory.arn
  function_name           = aws_lambda_function.function["queue"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
  scaling_config {
    maximum_concurrency = 20
  }
}

resource "aws_cloudwatch_event_rule" "job" {
  for_each            = { "expiry-sweep" = "rate(1 minute)", "threshold-check" = "rate(15 minutes)" }
  name                = "${local.name}-${each.key}"
  description         = "Runs the ${each.key} job of the inventory service."
  schedule_expression = each.value
  tags                = local.tags
}

resource "aws_cloudwatch_event_target" "job" {
  for_each = aws_cloudwatch_event_rule.job
  rule     = each.value.name
  arn      = aws_lambda_function.function["jobs"].arn
  input    = jsonencode({ detail = { job = each.key } })
}

resource "aws_lambda_permission" "job" {
  for_each      = aws_cloudwatch_event_rule.job
  statement_id  = "schedule-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["jobs"].function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}

resource "aws_sns_topic" "alerts" {
  name              = "inventory-alerts${var.environment == "prod" ? "" : "-${var.environment}"}"
  kms_master_key_id = var.kms_key_arn == null ? "alias/aws/sns" : var.kms_key_arn
  tags              = local.tags
}

resource "aws_sqs_queue" "pipe_dlq" {
  for_each                          = local.pipes
  name                              = "${local.name}-${each.key}-pipe-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = local.tags
}

resource "aws_iam_role" "pipe" {
  for_each = local.pipes
  name     = "${local.name}-${each.key}-pipe"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "pipes.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id } }
    }]
  })
  tags = local.tags
}

locals {
  pipe_sources = {
    "alerts"         = aws_dynamodb_table.alerts.stream_arn
    "order-outcomes" = aws_dynamodb_table.processed_orders.stream_arn
  }
  pipe_targets = {
    "alerts"         = { arn = aws_sns_topic.alerts.arn, action = "sns:Publish" }
    "order-outcomes" = { arn = var.order_events_queue_arn, action = "sqs:SendMessage" }
  }

  # Exactly the alert records (not the live feed's cursors), and only when written: a TTL deletion is a REMOVE.
  alert_filter = <<-JSON
    {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"record_type": {"S": ["STOCK_STATUS_CHANGED"]}}}}
  JSON
  # The SNS message: the alert as GET /admin/alerts shows it. Subscribers filter on its body
  # (filter_policy_scope = "MessageBody"), e.g. {"new_status": ["OUT_OF_STOCK"]}.
  alert_template = <<-TEMPLATE
    {"alert_id": "<$.dynamodb.NewImage.alert_id.S>", "product_id": "<$.dynamodb.NewImage.product_id.S>", "warehouse_id": "<$.dynamodb.NewImage.warehouse_id.S>", "stock_count": <$.dynamodb.NewImage.stock_count.N>, "available_count": <$.dynamodb.NewImage.available_count.N>, "threshold_level": <$.dynamodb.NewImage.threshold_level.N>, "old_status": "<$.dynamodb.NewImage.old_status.S>", "new_status": "<$.dynamodb.NewImage.new_status.S>", "created_at": "<$.dynamodb.NewImage.created_at.S>", "message": "<$.dynamodb.NewImage.message.S>"}
  TEMPLATE

  # Each order's answer is recorded once (a redelivered message finds it and writes nothing), so INSERTs are
  # exactly the answers; the record holds the InventoryReserved / InventoryReservationFailed event verbatim.
  order_outcome_filter   = <<-JSON
    {"eventName": ["INSERT"]}
  JSON
  order_outcome_template = "<$.dynamodb.NewImage.outcome_event.S>"

  pipes = {
    "alerts"         = { description = "New low-stock alert records to the inventory-alerts topic.", filter = local.alert_filter, template = local.alert_template }
    "order-outcomes" = { description = "Each answered ReserveInventory message's outcome to the order service's queue.", filter = local.order_outcome_filter, template = local.order_outcome_template }
  }
}

resource "aws_iam_role_policy" "pipe" {
  for_each = local.pipes
  name     = "stream-to-target"
  role     = aws_iam_role.pipe[each.key].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [
        {
          Effect   = "Allow"
          Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"]
          Resource = local.pipe_sources[each.key]
        },
        { Effect = "Allow", Action = [local.pipe_targets[each.key].action], Resource = local.pipe_targets[each.key].arn },
        { Effect = "Allow", Action = ["sqs:SendMessage"], Resource = aws_sqs_queue.pipe_dlq[each.key].arn },
      ],
      var.kms_key_arn == null ? [] : [{
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = var.kms_key_arn
      }],
    )
  })
}

resource "aws_pipes_pipe" "outbox" {
  for_each    = local.pipes
  name        = "${local.name}-${each.key}"
  description = each.value.description
  role_arn    = aws_iam_role.pipe[each.key].arn
  source      = local.pipe_sources[each.key]
  target      = local.pipe_targets[each.key].arn

  source_parameters {
    dynamodb_stream_parameters {
      starting_position             = "TRIM_HORIZON"
      batch_size                    = 1
      maximum_retry_attempts        = 10
      maximum_record_age_in_seconds = 86400
      on_partial_batch_item_failure = "AUTOMATIC_BISECT"
      dead_letter_config {
        arn = aws_sqs_queue.pipe_dlq[each.key].arn
      }
    }
    filter_criteria {
      filter {
        pattern = trimspace(each.value.filter)
      }
    }
  }

  target_parameters {
    input_template = trimspace(each.value.template)
  }
  tags       = local.tags
  depends_on = [aws_iam_role_policy.pipe]
}
