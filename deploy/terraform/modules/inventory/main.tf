# The inventory service on AWS. The functions, their environment and their DynamoDB permissions come from
# deploy/functions.json, the routes from deploy/api-routes.json: the same files the service's tests check
# against the code, so the infrastructure cannot drift from what the code does.

terraform {
  required_version = "~> 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66"
    }
  }
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  manifest = jsondecode(file("${path.module}/../../../functions.json"))
  routes   = jsondecode(file("${path.module}/../../../api-routes.json")).routes
  name     = "inventory-${var.environment}"

  table_names = { for key, table in local.manifest.tables : key => "${var.table_prefix}${table.default_name}" }
  table_arns = {
    inventory        = aws_dynamodb_table.inventory.arn
    reservations     = aws_dynamodb_table.reservations.arn
    products         = aws_dynamodb_table.products.arn
    product_search   = aws_dynamodb_table.product_search.arn
    idempotency      = aws_dynamodb_table.idempotency.arn
    alerts           = aws_dynamodb_table.alerts.arn
    history          = aws_dynamodb_table.history.arn
    velocity         = aws_dynamodb_table.velocity.arn
    processed_orders = aws_dynamodb_table.processed_orders.arn
    api_keys         = aws_dynamodb_table.api_keys.arn
    shipments        = aws_dynamodb_table.shipments.arn
  }

  # The admin panel's own site is always allowed, so it works after the first deploy without a second one.
  cors_origins = distinct(concat(var.cors_allowed_origins, ["https://${aws_cloudfront_distribution.site.domain_name}"]))

  tags = merge(var.tags, { Service = "inventory", Environment = var.environment })
}
