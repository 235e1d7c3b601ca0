# One environment of the service. Each environment is this root with its own variables file (dev.tfvars,
# prod.tfvars: copy the .example) and its own state key in the bucket made by ../bootstrap; deploy/deploy.sh ENV
# passes both (-var-file, -backend-config key=inventory/ENV/terraform.tfstate).

terraform {
  required_version = "~> 1.10"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.66"
    }
  }
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region = var.region
  # Credentials for another account make every plan fail here, before anything changes.
  allowed_account_ids = [var.account_id]
}

variable "account_id" {
  description = "The AWS account this environment lives in (12 digits); any other account is refused."
  type        = string
  validation {
    condition     = can(regex("^[0-9]{12}$", var.account_id))
    error_message = "account_id is the 12-digit AWS account id."
  }
}

variable "environment" {
  description = "dev, prod, ...: part of every resource name."
  type        = string
}

variable "region" {
  type    = string
  default = "eu-west-1"
}

variable "table_prefix" {
  description = "\"\" in prod keeps the table names the order service knows; e.g. \"dev-\" elsewhere."
  type        = string
  default     = ""
}

variable "deletion_protection" {
  type    = bool
  default = true
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "package_zip" {
  description = "Built by make package (deploy/deploy.sh passes it)."
  type        = string
}

variable "architecture" {
  type    = string
  default = "arm64"
}

variable "web_adapter_layer_version" {
  description = "Version of the Lambda Web Adapter layer (the layer of the functions' architecture in this region)."
  type        = number
  default     = 26
}

variable "limit_jobs_concurrency" {
  description = "Reserve one concurrent execution for the jobs function so two sweeps never overlap. Needs an account concurrency quota above 10 (new accounts start at 10)."
  type        = bool
  default     = true
}

variable "api_key_rate_limit" {
  description = "Requests one API key may make per minute at the edge (AWS WAF) before it gets 429s."
  type        = number
  default     = 6000
}

variable "order_events_queue_arn" {
  description = "The order service's OMS-OrderEventsQueue."
  type        = string
}

variable "cors_allowed_origins" {
  type    = list(string)
  default = []
}

variable "alarm_email" {
  type    = string
  default = null
}

variable "kms_key_arn" {
  type    = string
  default = null
}

module "inventory" {
  source = "../modules/inventory"

  environment            = var.environment
  table_prefix           = var.table_prefix
  deletion_protection    = var.deletion_protection
  log_retention_days     = var.log_retention_days
  package_zip            = var.package_zip
  architecture           = var.architecture
  web_adapter_layer_version = var.web_adapter_layer_version
  limit_jobs_concurrency    = var.limit_jobs_concurrency
  api_key_rate_limit        = var.api_key_rate_limit
  order_events_queue_arn = var.order_events_queue_arn
  cors_allowed_origins   = var.cors_allowed_origins
  alarm_email            = var.alarm_email
  kms_key_arn            = var.kms_key_arn
}

# Every output of the module, as deploy/deploy.sh and docs/deploy.md use them.
output "api_url" {
  value = module.inventory.api_url
}

output "site_url" {
  value = module.inventory.site_url
}

output "site_bucket" {
  value = module.inventory.site_bucket
}

output "site_distribution_id" {
  value = module.inventory.site_distribution_id
}

output "table_names" {
  value = module.inventory.table_names
}

output "alerts_topic_arn" {
  value = module.inventory.alerts_topic_arn
}

output "alarms_topic_arn" {
  value = module.inventory.alarms_topic_arn
}

output "inventory_queue_url" {
  value = module.inventory.inventory_queue_url
}

output "inventory_queue_arn" {
  value = module.inventory.inventory_queue_arn
}

output "inventory_dlq_url" {
  value = module.inventory.inventory_dlq_url
}

output "stream_dlq_url" {
  value = module.inventory.stream_dlq_url
}

output "pipe_dlq_urls" {
  value = module.inventory.pipe_dlq_urls
}

output "function_names" {
  value = module.inventory.function_names
}

output "live_alias" {
  value = module.inventory.live_alias
}

output "order_outcomes_pipe_role_arn" {
  value = module.inventory.order_outcomes_pipe_role_arn
}

output "web_acl_arn" {
  value = module.inventory.web_acl_arn
}

output "packages_bucket" {
  value = module.inventory.packages_bucket
}
