# Alarms to one topic (mail it with alarm_email), and a dashboard.

# CloudWatch publishes alarms as a service, which the AWS-managed SNS key does not allow: encrypted only with a
# customer key (whose policy must let cloudwatch.amazonaws.com use it). Alarm messages hold no customer data.
resource "aws_sns_topic" "alarms" {
  name              = "${local.name}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "alarm_email" {
  count     = var.alarm_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  api_dimensions = { ApiName = aws_api_gateway_rest_api.api.name, Stage = aws_api_gateway_stage.api.stage_name }

  # name => metric; each alarms when its statistic over 5 minutes (or over `periods` periods of `period` seconds in a
  # row) passes the threshold.
  # The functions' Errors count failed invocations: crashes and timeouts, and, for the functions fed by events, every
  # event the service refused or failed (AWS_LWA_ERROR_STATUS_CODES in deploy/functions.json turns those answers into
  # failed invocations). Metrics by FunctionName alone cover every version behind the live alias.
  alarms = merge(
    {
      "api-5xx"           = { namespace = "AWS/ApiGateway", metric = "5XXError", statistic = "Sum", threshold = 0, dimensions = local.api_dimensions }
      "api-latency-p99"   = { namespace = "AWS/ApiGateway", metric = "Latency", extended = "p99", threshold = var.api_latency_p99_ms, dimensions = local.api_dimensions }
      "sns-alerts-failed" = { namespace = "AWS/SNS", metric = "NumberOfNotificationsFailed", statistic = "Sum", threshold = 0, dimensions = { TopicName = aws_sns_topic.alerts.name } }
      "queue-dlq-depth"   = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0, dimensions = { QueueName = aws_sqs_queue.inventory_dlq.name } }
      # Orders wait: the queue function fails on every attempt (its errors show why) or falls behind.
      "queue-oldest-message-age" = { namespace = "AWS/SQS", metric = "ApproximateAgeOfOldestMessage", statistic = "Maximum", threshold = var.queue_age_alarm_seconds, dimensions = { QueueName = aws_sqs_queue.inventory.name } }
      # Stream records the stream function gave up on: a status or an alert may be missing (see docs/deploy.md).
      "stream-dlq-depth" = { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0, dimensions = { QueueName = aws_sqs_queue.stream_dlq.name } }
      # The stream function falls behind the writes: stored statuses lag by over a minute, three minutes running. A
      # record it keeps failing on holds back its whole shard, so it shows here too.
      "stream-iterator-age" = { namespace = "AWS/Lambda", metric = "IteratorAge", statistic = "Maximum", threshold = 60000, period = 60, periods = 3, dimensions = { FunctionName = aws_lambda_function.function["stream"].function_name } }
      # Lambda could not put a given-up batch on the dead-letter queue, so nothing says where it was.
      "stream-dlq-delivery-failures" = { namespace = "AWS/Lambda", metric = "DestinationDeliveryFailures", statistic = "Sum", threshold = 0, dimensions = { FunctionName = aws_lambda_function.function["stream"].function_name } }
    },
    { for fn in keys(local.manifest.functions) : "${fn}-errors" => { namespace = "AWS/Lambda", metric = "Errors", statistic = "Sum", threshold = 0, dimensions = { FunctionName = aws_lambda_function.function[fn].function_name } } },
    { for fn in keys(local.manifest.functions) : "${fn}-throttles" => { namespace = "AWS/Lambda", metric = "Throttles", statistic = "Sum", threshold = 0, dimensions = { FunctionName = aws_lambda_function.function[fn].function_name } } },
    { for pipe, queue in aws_sqs_queue.pipe_dlq : "${pipe}-pipe-dlq-depth" => { namespace = "AWS/SQS", metric = "ApproximateNumberOfMessagesVisible", statistic = "Maximum", threshold = 0, dimensions = { QueueName = queue.name } } },
    { for key, pipe in aws_pipes_pipe.outbox : "${key}-pipe-failed" => { namespace = "AWS/EventBridge/Pipes", metric = "ExecutionFailed", statistic = "Sum", threshold = 0, dimensions = { PipeName = pipe.name } } },
    { for key, name in local.table_names : "${key}-read-throttles" => { namespace = "AWS/DynamoDB", metric = "ReadThrottleEvents", statistic = "Sum", threshold = 0, dimensions = { TableName = name } } },
    { for key, name in local.table_names : "${key}-write-throttles" => { namespace = "AWS/DynamoDB", metric = "WriteThrottleEvents", statistic = "Sum", threshold = 0, dimensions = { TableName = name } } },
    # System errors are reported per operation; these are the operations the service depends on.
    merge([
      for key, name in local.table_names : {
        for operation in ["GetItem", "Query", "TransactWriteItems", "UpdateItem", "PutItem"] :
        "${key}-${lower(operation)}-system-errors" => { namespace = "AWS/DynamoDB", metric = "SystemErrors", statistic = "Sum", threshold = 0, dimensions = { TableName = name, Operation = operation } }
      }
    ]...),
  )
}

resource "aws_cloudwatch_metric_alarm" "alarm" {
  for_each            = local.alarms
  alarm_name          = "${local.name}-${each.key}"
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  statistic           = lookup(each.value, "statistic", null)
  extended_statistic  = lookup(each.value, "extended", null)
  dimensions          = each.value.dimensions
  period              = lookup(each.value, "period", 300)
  evaluation_periods  = lookup(each.value, "periods", 1)
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
  tags                = local.tags
}

resource "aws_cloudwatch_dashboard" "service" {
  dashboard_name = local.name
  dashboard_body = jsonencode({
    widgets = [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title  = "API requests and errors"
          region = data.aws_region.current.region
          stat   = "Sum"
          period = 60
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiName", local.api_dimensions.ApiName, "Stage", local.api_dimensions.Stage],
            [".", "4XXError", ".", ".", ".", "."],
            [".", "5XXError", ".", ".", ".", "."],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title  = "API latency (ms)"
          region = data.aws_region.current.region
          period = 60
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiName", local.api_dimensions.ApiName, "Stage", local.api_dimensions.Stage, { stat = "p50" }],
            ["...", { stat = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Function errors and throttles"
          region = data.aws_region.current.region
          stat   = "Sum"
          period = 60
          metrics = concat(
            [for fn in keys(local.manifest.functions) : ["AWS/Lambda", "Errors", "FunctionName", aws_lambda_function.function[fn].function_name]],
            [for fn in keys(local.manifest.functions) : ["AWS/Lambda", "Throttles", "FunctionName", aws_lambda_function.function[fn].function_name]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title  = "Queues: waiting and dead-lettered"
          region = data.aws_region.current.region
          stat   = "Maximum"
          period = 60
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", aws_sqs_queue.inventory.name],
            [".", ".", ".", aws_sqs_queue.inventory_dlq.name],
            [".", ".", ".", aws_sqs_queue.pipe_dlq["alerts"].name],
            [".", ".", ".", aws_sqs_queue.pipe_dlq["order-outcomes"].name],
            [".", ".", ".", aws_sqs_queue.stream_dlq.name],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "Stream function: lag behind the writes (ms)"
          region = data.aws_region.current.region
          stat   = "Maximum"
          period = 60
          metrics = [
            ["AWS/Lambda", "IteratorAge", "FunctionName", aws_lambda_function.function["stream"].function_name],
          ]
        }
      },
    ]
  })
}
