# Run once per account, with local state: the versioned, encrypted, private bucket that holds every
# environment's Terraform state (locked with S3 lock files, so no lock table is needed), and API Gateway's
# account-wide setting of that region (the role it writes access and execution logs with), which exists once per
# account and region and so belongs to no environment.
#   terraform -chdir=deploy/terraform/bootstrap init && terraform -chdir=deploy/terraform/bootstrap apply
# For environments in another region than the bucket, run it there too without the bucket (docs/deploy.md):
#   terraform -chdir=deploy/terraform/bootstrap apply -state=<region>.tfstate -var region=<region> -var create_state_bucket=false

terraform {
  required_version = "~> 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66"
    }
  }
}

provider "aws" {
  region = var.region
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "bucket_name" {
  description = "Globally unique, e.g. <company>-inventory-terraform-state."
  type        = string
  default     = null
}

variable "create_state_bucket" {
  description = "false when the bucket exists already (made by this root in another region)."
  type        = bool
  default     = true
}

resource "aws_s3_bucket" "state" {
  count  = var.create_state_bucket ? 1 : 0
  bucket = var.bucket_name
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "state" {
  count  = var.create_state_bucket ? 1 : 0
  bucket = aws_s3_bucket.state[0].id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "state" {
  count  = var.create_state_bucket ? 1 : 0
  bucket = aws_s3_bucket.state[0].id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "aws:kms"
    }
  }
}

resource "aws_s3_bucket_public_access_block" "state" {
  bucket                  = aws_s3_bucket.state.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

# API Gateway writes logs through one role per account and region, set on its account resource.
resource "aws_iam_role" "api_gateway_logs" {
  name = "apigateway-cloudwatch-logs-${var.region}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
}

resource "aws_iam_role_policy_attachment" "api_gateway_logs" {
  role       = aws_iam_role.api_gateway_logs.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_logs.arn
  depends_on          = [aws_iam_role_policy_attachment.api_gateway_logs]
}

output "state_bucket" {
  value = var.create_state_bucket ? aws_s3_bucket.state[0].bucket : var.bucket_name
}

output "api_gateway_logs_role_arn" {
  value = aws_iam_role.api_gateway_logs.arn
}
