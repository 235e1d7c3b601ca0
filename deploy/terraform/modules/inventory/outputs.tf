output "api_url" {
  description = "Base URL of the API (the stage's invoke URL)."
  value       = aws_api_gateway_stage.api.invoke_url
}

output "site_url" {
  description = "Where the widget, the demo page and the admin panel are served."
  value       = "https://${aws_cloudfront_distribution.site.domain_name}"
}

output "site_bucket" {
  value = aws_s3_bucket.site.bucket
}

output "site_distribution_id" {
  value = aws_cloudfront_distribution.site.id
}

output "table_names" {
  value = local.table_names
}

output "alerts_topic_arn" {
  description = "Subscribe here for low-stock alerts (filter on the message body, e.g. {\"new_status\": [\"OUT_OF_STOCK\"]})."
  value       = aws_sns_topic.alerts.arn
}

output "alarms_topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "inventory_queue_url" {
  description = "Where the order service sends ReserveInventory messages."
  value       = aws_sqs_queue.inventory.url
}

output "inventory_queue_arn" {
  value = aws_sqs_queue.inventory.arn
}

output "inventory_dlq_url" {
  value = aws_sqs_queue.inventory_dlq.url
}

output "stream_dlq_url" {
  description = "Where the stream function's mapping puts the stream records it gave up on (their position, not their content)."
  value       = aws_sqs_queue.stream_dlq.url
}

output "function_names" {
  value = { for fn, f in aws_lambda_function.function : fn => f.function_name }
}

output "pipe_dlq_urls" {
  description = "Per outbox pipe, where it puts the stream records it gave up on (docs/deploy.md, the pipes' dead-letter queues)."
  value       = { for pipe, queue in aws_sqs_queue.pipe_dlq : pipe => queue.url }
}

output "live_alias" {
  description = "The alias every caller invokes; deploy/deploy.sh --rollback moves it."
  value       = local.live_alias
}

output "order_outcomes_pipe_role_arn" {
  description = "The role that sends to the order service's queue: its queue policy (and key policy) must allow it."
  value       = aws_iam_role.pipe["order-outcomes"].arn
}

output "web_acl_arn" {
  value = aws_wafv2_web_acl.api.arn
}

output "packages_bucket" {
  description = "Every build's zip, named by its hash (versioned)."
  value       = aws_s3_bucket.packages.bucket
}
