# Events in: the order service's ReserveInventory messages (SQS), the two schedules, and the inventory table's own
# change stream, from which the stream function derives stored status and alerts.
# Events out: the outbox tables' streams, through EventBridge Pipes, to the inventory-alerts topic and to the
# order service's queue. Only INSERTs of the right records pass the filters: TTL deletions and the live feed's
# cursor records never leave. Each pipe's enrichment, the outbox function, builds the messages (code the tests run);
# the target sends what it answers unchanged, with no input template.
# Every function is invoked through its live alias (functions.tf).

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
  function_name           = aws_lambda_alias.live["queue"].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]
  scaling_config {
    maximum_concurrency = 20
  }
}

# What the stream mapping gives up on. Lambda sends one message per failed batch that names the stream, the shard and
# the range of sequence numbers, not the records: they stay readable in the stream for 24 hours after their write.
# Lambda sends with the stream function's role, which holds sqs:SendMessage on this queue (no queue policy needed).
resource "aws_sqs_queue" "stream_dlq" {
  name                              = "${local.name}-stream-dlq"
  message_retention_seconds         = 1209600
  kms_master_key_id                 = var.kms_key_arn
  sqs_managed_sse_enabled           = var.kms_key_arn == null ? true : null
  kms_data_key_reuse_period_seconds = var.kms_key_arn == null ? null : 300
  tags                              = local.tags
}

# Every change of a stock row, to the stream function (the Web Adapter passes the event through to POST /events). It
# answers with the SequenceNumber of the first record it could not handle; Lambda keeps the records before it as done
# and retries from that one.
resource "aws_lambda_event_source_mapping" "inventory_stream" {
  event_source_arn = aws_dynamodb_table.inventory.stream_arn
  function_name    = aws_lambda_alias.live["stream"].arn
  # A new mapping starts at the oldest record the stream keeps (24 hours), so no change is skipped while it is
  # created or replaced; what the function writes is keyed by sequence number, so a record seen twice writes once.
  starting_position = "TRIM_HORIZON"
  # Invoke as soon as a shard has records (Lambda polls each shard four times a second), so a status follows its
  # write within a second; under load the batches fill by themselves.
  batch_size                         = 100
  maximum_batching_window_in_seconds = 0
  # One batch at a time per shard. Each row's changes arrive in order at any factor (a higher factor splits a shard's
  # records by key, never one key's records), so it may be raised if one shard's writes outpace the function.
  parallelization_factor  = 1
  function_response_types = ["ReportBatchItemFailures"]
  # A batch that fails as a whole (a timeout, a crash) is halved until the record at fault is alone; halving costs
  # no attempt.
  bisect_batch_on_function_error = true
  # A shard's records are handled in order, so a record that keeps failing holds back the status of every row behind
  # it on its shard. It is given up after 10 failed attempts or once it is an hour old, whichever comes first. The age
  # bounds what attempts do not count: a batch Lambda cannot deliver at all (throttled, say) is retried until that
  # age. The default, until the stream drops the record after 24 hours, would stall the shard for a day and then
  # lose the record without a trace. Given up, it reaches the dead-letter queue with at least 23 hours left to read
  # it from the stream, and the threshold check (every 15 minutes) repairs the stored status of rows gone quiet.
  maximum_retry_attempts        = 10
  maximum_record_age_in_seconds = 3600
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_dlq.arn
    }
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
  arn      = aws_lambda_alias.live["jobs"].arn
  input    = jsonencode({ detail = { job = each.key } })
}

# A run that fails or finds the one jobs instance busy (reserved concurrency 1) is not retried for hours: the next
# schedule runs the job again within a minute (the threshold check: 15 minutes).
resource "aws_lambda_function_event_invoke_config" "jobs" {
  function_name                = aws_lambda_function.function["jobs"].function_name
  qualifier                    = aws_lambda_alias.live["jobs"].name
  maximum_event_age_in_seconds = 60
  maximum_retry_attempts       = 0
}

resource "aws_lambda_permission" "job" {
  for_each      = aws_cloudwatch_event_rule.job
  statement_id  = "schedule-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["jobs"].function_name
  qualifier     = aws_lambda_alias.live["jobs"].name
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

  # Exactly the alert records (status changes and runs-out-soon, not the live feed's cursors), and only when
  # written: a TTL deletion is a REMOVE.
  alert_filter = <<-JSON
    {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"record_type": {"S": ["STOCK_STATUS_CHANGED", "STOCK_RUNS_OUT_SOON"]}}}}
  JSON
  # Each order's answer is recorded once (a redelivered message finds it and writes nothing), so INSERTs are
  # exactly the answers; the record holds the InventoryReserved / InventoryReservationFailed event verbatim.
  order_outcome_filter = <<-JSON
    {"eventName": ["INSERT"]}
  JSON

  pipes = {
    "alerts"         = { description = "New low-stock alert records to the inventory-alerts topic.", filter = local.alert_filter }
    "order-outcomes" = { description = "Each answered ReserveInventory message's outcome to the order service's queue.", filter = local.order_outcome_filter }
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
          Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
          Resource = local.pipe_sources[each.key]
        },
        # ListStreams names no resource: IAM checks it only against "*".
        { Effect = "Allow", Action = ["dynamodb:ListStreams"], Resource = "*" },
        { Effect = "Allow", Action = ["lambda:InvokeFunction"], Resource = aws_lambda_alias.live["outbox"].arn },
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
  enrichment  = aws_lambda_alias.live["outbox"].arn
  target      = local.pipe_targets[each.key].arn

  source_parameters {
    dynamodb_stream_parameters {
      starting_position             = "TRIM_HORIZON"
      batch_size                    = 1
      # Given up after 10 attempts or an hour, so a given-up record is still in the stream (24 hours) when its
      # position reaches the dead-letter queue; the message can be sent again from its table (docs/deploy.md).
      maximum_retry_attempts        = 10
      maximum_record_age_in_seconds = 3600
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
  tags       = local.tags
  depends_on = [aws_iam_role_policy.pipe]
}
