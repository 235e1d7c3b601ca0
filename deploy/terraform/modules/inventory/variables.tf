variable "environment" {
  description = "Name of the environment (dev, prod, ...): tags, and the prefix of every resource name but the tables'."
  type        = string
}

variable "table_prefix" {
  description = "Prepended to every table name (\"\" keeps the names the order service knows, such as inventory-management)."
  type        = string
  default     = ""
}

variable "package_zip" {
  description = "Path of the Lambda package built by `make package` (deploy/package.sh)."
  type        = string
}

variable "architecture" {
  description = "arm64 or x86_64; must match the package."
  type        = string
  default     = "arm64"
  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture is arm64 or x86_64."
  }
}

variable "web_adapter_layer_version" {
  description = "Version of the Lambda Web Adapter layer (awslabs/aws-lambda-web-adapter); the layer's name and region follow from the architecture and the provider's region. 23 (adapter 0.9.0) or newer: the functions fed by events rely on AWS_LWA_ERROR_STATUS_CODES."
  type        = number
  default     = 26
  validation {
    condition     = var.web_adapter_layer_version >= 23
    error_message = "The functions fed by events need AWS_LWA_ERROR_STATUS_CODES, which the adapter's layer has from version 23 (adapter 0.9.0)."
  }
}

variable "limit_jobs_concurrency" {
  description = "Reserve the concurrency deploy/functions.json gives a function (jobs: 1, so two sweeps never overlap). Lambda keeps 10 of an account's concurrency unreserved, so this needs an account quota above 10; new accounts often start at 10 (docs/deploy.md)."
  type        = bool
  default     = true
}

variable "api_key_rate_limit" {
  description = "Requests per minute one API key (the x-api-key header) may send before AWS WAF answers 429, at the edge and across all instances."
  type        = number
  default     = 6000
  validation {
    condition     = var.api_key_rate_limit >= 10 && var.api_key_rate_limit <= 2000000000
    error_message = "AWS WAF's rate limits range from 10 to 2,000,000,000."
  }
}

variable "queue_age_alarm_seconds" {
  description = "Alarm when the oldest ReserveInventory message has waited this long: the queue function is failing or falling behind."
  type        = number
  default     = 300
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the tables, queues and topics; null uses AWS-managed keys."
  type        = string
  default     = null
}

variable "deletion_protection" {
  description = "Protect the tables from deletion (on in prod)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  type    = number
  default = 30
}

variable "history_retention_days" {
  description = "How long the stock history keeps an entry (days) before TTL deletes it; see docs/decisions.md for its storage cost."
  type        = number
  default     = 365
}

variable "cors_allowed_origins" {
  description = "Origins whose pages may call the API (the shop's product pages, the admin panel's site)."
  type        = list(string)
  default     = []
}

variable "order_events_queue_arn" {
  description = "ARN of the order service's OMS-OrderEventsQueue, which receives InventoryReserved / InventoryReservationFailed. The order system owns it."
  type        = string
}

variable "authorizer_cache_seconds" {
  description = "How long API Gateway reuses an authorizer decision per key (0 to 3600). A revoked key keeps working at most this long plus ApiKeys:CacheSeconds."
  type        = number
  default     = 60
}

variable "stage_throttle" {
  description = "Stage-wide throttle, all clients together."
  type        = object({ rate_limit = number, burst_limit = number })
  default     = { rate_limit = 2000, burst_limit = 4000 }
}

variable "usage_tiers" {
  description = "Per-scope usage plans: every key of a scope shares its tier's throttle and daily quota."
  type        = map(object({ rate_limit = number, burst_limit = number, daily_quota = number }))
  default = {
    Read    = { rate_limit = 1000, burst_limit = 2000, daily_quota = 50000000 }
    Reserve = { rate_limit = 500, burst_limit = 1000, daily_quota = 10000000 }
    Admin   = { rate_limit = 50, burst_limit = 100, daily_quota = 1000000 }
  }
}

variable "alarm_email" {
  description = "Where alarms are mailed (confirm the subscription mail); null for none."
  type        = string
  default     = null
}

variable "api_latency_p99_ms" {
  description = "Alarm when the API's p99 latency stays above this for 5 minutes."
  type        = number
  default     = 1000
}

variable "tags" {
  type    = map(string)
  default = {}
}
