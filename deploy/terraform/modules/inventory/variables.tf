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
}

variable "web_adapter_layer_arn" {
  description = "ARN of the Lambda Web Adapter layer for this region and architecture (LambdaAdapterLayerArm64 or LambdaAdapterLayerX86)."
  type        = string
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
