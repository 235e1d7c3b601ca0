# REST API Gateway, described as an OpenAPI document built from deploy/api-routes.json (the service's own
# routes, checked against its OpenAPI document by the tests). Each route goes to the function of the scope it
# needs; every route is guarded by the service's TOKEN authorizer on x-api-key, whose policy allows exactly
# the routes of the key's scope. /events and /health are not routes. OPTIONS (CORS preflight) is answered by API
# Gateway itself (a MOCK integration): no function runs for a request that carries no key, and the answer comes from
# the same allow-list and the same methods and headers as the service's own CORS policy.

locals {
  scope_function = { Read = "read", Reserve = "reserve", Admin = "admin" }
  api_paths      = distinct([for route in local.routes : route.path])

  # The service's CORS policy (InventoryApp.cs), which the tests compare with these.
  cors_methods         = "GET,POST,PUT,DELETE"
  cors_headers         = "x-api-key,content-type,if-match,idempotency-key,last-event-id"
  cors_max_age_seconds = 600
  # The preflight's answer: the CORS headers only for an allowed origin (a browser then refuses the others), and
  # Vary: Origin always, as the answer depends on it.
  cors_preflight_template = <<-VTL
    #set($origin = $input.params().header.get("origin"))
    #if("$!origin" == "")#set($origin = $input.params().header.get("Origin"))#end
    #set($allowed = [${join(", ", [for origin in local.cors_origins : jsonencode(origin)])}])
    #if("$!origin" != "" && $allowed.contains($origin))
    #set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)
    #set($context.responseOverride.header.Access-Control-Allow-Methods = "${local.cors_methods}")
    #set($context.responseOverride.header.Access-Control-Allow-Headers = "${local.cors_headers}")
    #set($context.responseOverride.header.Access-Control-Max-Age = "${local.cors_max_age_seconds}")
    #end
  VTL

  # API Gateway's own refusals, as problem JSON with the service's codes. The two defaults keep API Gateway's
  # status; a 5XX from the gateway (a function that timed out, say) may follow a write that did commit, so it
  # says so instead of promising that nothing changed.
  problem_responses = {
    UNAUTHORIZED   = { status = 401, code = "unauthorized", title = "A valid API key is required.", detail = "Send your key in the 'x-api-key' header." }
    ACCESS_DENIED  = { status = 403, code = "forbidden", title = "This key may not do that.", detail = "The API key is unknown, revoked, or lacks the scope this operation needs." }
    THROTTLED      = { status = 429, code = "rate_limited", title = "Too many requests.", detail = "Over this key's rate; retry shortly." }
    QUOTA_EXCEEDED = { status = 429, code = "quota_exceeded", title = "Daily quota used up.", detail = "This key's daily request quota is used up." }
    DEFAULT_4XX    = { status = null, code = "invalid_request", title = "The request was refused before it reached the service.", detail = "See the status code." }
    DEFAULT_5XX    = { status = null, code = "upstream_failure", title = "The service did not answer.", detail = "The request may have been applied. Retry it with the same ids or Idempotency-Key: every write is idempotent." }
  }

  openapi = {
    openapi = "3.0.1"
    info    = { title = local.name, version = "1" }
    paths = {
      for path in local.api_paths : path => merge(
        {
          for route in local.routes : lower(route.method) => {
            parameters = [for name in regexall("{([^}]+)}", path) : { name = name[0], in = "path", required = true, schema = { type = "string" } }]
            security   = [{ "key-authorizer" = [], "usage-plan-key" = [] }]
            "x-amazon-apigateway-integration" = {
              type       = "aws_proxy"
              httpMethod = "POST"
              uri        = aws_lambda_alias.live[local.scope_function[route.scope]].invoke_arn
            }
          } if route.path == path
        },
        {
          options = {
            parameters = [for name in regexall("{([^}]+)}", path) : { name = name[0], in = "path", required = true, schema = { type = "string" } }]
            security   = []
            responses = {
              "200" = {
                description = "CORS preflight"
                headers = { for header in ["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Vary"] :
                header => { schema = { type = "string" } } }
              }
            }
            "x-amazon-apigateway-integration" = {
              type             = "mock"
              requestTemplates = { "application/json" = jsonencode({ statusCode = 200 }) }
              responses = {
                default = {
                  statusCode         = "200"
                  responseParameters = { "method.response.header.Vary" = "'Origin'" }
                  responseTemplates  = { "application/json" = local.cors_preflight_template }
                }
              }
            }
          }
        },
      )
    }
    components = {
      securitySchemes = {
        "key-authorizer" = {
          type                           = "apiKey"
          name                           = "x-api-key"
          in                             = "header"
          "x-amazon-apigateway-authtype" = "custom"
          "x-amazon-apigateway-authorizer" = {
            type                         = "token"
            authorizerUri                = aws_lambda_alias.live["authorizer"].invoke_arn
            identitySource               = "method.request.header.x-api-key"
            authorizerResultTtlInSeconds = var.authorizer_cache_seconds
          }
        }
        # Metering only: the authorizer names the usage-plan key (usageIdentifierKey) of the key's scope.
        "usage-plan-key" = { type = "apiKey", name = "x-api-key", in = "header" }
      }
    }
    "x-amazon-apigateway-api-key-source" = "AUTHORIZER"
    "x-amazon-apigateway-gateway-responses" = {
      for type, p in local.problem_responses : type => merge(
        p.status == null ? {} : { statusCode = p.status },
        {
          # Error bodies carry no data, so any page may read them (otherwise a browser reports a CORS failure).
          responseParameters = {
            "gatewayresponse.header.Content-Type"                = "'application/problem+json'"
            "gatewayresponse.header.Access-Control-Allow-Origin" = "method.request.header.origin"
            "gatewayresponse.header.Vary"                        = "'Origin'"
          }
          responseTemplates = {
            "application/json" = jsonencode(merge(
              { type = "https://inventory.example/problems/${p.code}", title = p.title, detail = p.detail, code = p.code, trace_id = "$context.requestId" },
              p.status == null ? {} : { status = p.status },
            ))
          }
        },
      )
    }
  }
}

resource "aws_api_gateway_rest_api" "api" {
  name           = local.name
  description    = "Inventory service: stock, holds, sales, products and alerts."
  body           = jsonencode(local.openapi)
  api_key_source = "AUTHORIZER"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  tags = local.tags
}

resource "aws_api_gateway_deployment" "api" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  triggers = {
    redeployment = sha1(aws_api_gateway_rest_api.api.body)
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access" {
  name              = "/aws/apigateway/${local.name}/access"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = local.tags
}

resource "aws_api_gateway_stage" "api" {
  rest_api_id   = aws_api_gateway_rest_api.api.id
  deployment_id = aws_api_gateway_deployment.api.id
  stage_name    = var.environment

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access.arn
    format = jsonencode({
      request_id = "$context.requestId"
      time       = "$context.requestTime"
      method     = "$context.httpMethod"
      route      = "$context.resourcePath"
      status     = "$context.status"
      latency_ms = "$context.responseLatency"
      key_name   = "$context.authorizer.key_name"
      scope      = "$context.authorizer.scope"
      error      = "$context.error.message"
      source_ip  = "$context.identity.sourceIp"
    })
  }
  tags = local.tags
}

resource "aws_api_gateway_method_settings" "all" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.api.stage_name
  method_path = "*/*"
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    throttling_rate_limit  = var.stage_throttle.rate_limit
    throttling_burst_limit = var.stage_throttle.burst_limit
  }
}

# API Gateway writes the access log through the role of its account setting, which deploy/terraform/bootstrap makes
# once per account and region (deploy/deploy.sh checks it is there).

resource "aws_lambda_permission" "api" {
  for_each      = toset(["read", "reserve", "admin"])
  statement_id  = "api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  qualifier     = aws_lambda_alias.live[each.key].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*/*"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "api-gateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["authorizer"].function_name
  qualifier     = aws_lambda_alias.live["authorizer"].name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/authorizers/*"
}

# One usage plan per key scope: throttle and daily quota for all keys of that scope.
resource "aws_api_gateway_api_key" "tier" {
  for_each    = var.usage_tiers
  name        = "${local.name}-${lower(each.key)}"
  description = "Usage-plan key of the ${each.key} scope; the authorizer names it, no client ever sends it."
  enabled     = true
  tags        = local.tags
}

resource "aws_api_gateway_usage_plan" "tier" {
  for_each = var.usage_tiers
  name     = "${local.name}-${lower(each.key)}"
  api_stages {
    api_id = aws_api_gateway_rest_api.api.id
    stage  = aws_api_gateway_stage.api.stage_name
  }
  throttle_settings {
    rate_limit  = each.value.rate_limit
    burst_limit = each.value.burst_limit
  }
  quota_settings {
    limit  = each.value.daily_quota
    period = "DAY"
  }
  tags = local.tags
}

resource "aws_api_gateway_usage_plan_key" "tier" {
  for_each      = var.usage_tiers
  key_id        = aws_api_gateway_api_key.tier[each.key].id
  key_type      = "API_KEY"
  usage_plan_id = aws_api_gateway_usage_plan.tier[each.key].id
}

# Each API key's own limit at the edge: the usage plans meter a whole scope (API Gateway cannot create a usage-plan
# key per client key at run time), so AWS WAF counts the requests of each x-api-key value and answers 429 above
# api_key_rate_limit per minute. Requests without the header are not counted here; the authorizer refuses them.
resource "aws_wafv2_web_acl" "api" {
  name        = "${local.name}-api"
  description = "Per-API-key rate limit of the inventory API."
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  custom_response_body {
    key          = "rate-limited"
    content_type = "APPLICATION_JSON"
    content      = jsonencode({ type = "https://inventory.example/problems/rate_limited", title = "Too many requests.", status = 429, detail = "Over this key's rate; retry shortly.", code = "rate_limited" })
  }

  rule {
    name     = "per-api-key"
    priority = 0
    action {
      block {
        custom_response {
          response_code            = 429
          custom_response_body_key = "rate-limited"
          response_header {
            name  = "Retry-After"
            value = "60"
          }
        }
      }
    }
    statement {
      rate_based_statement {
        limit                 = var.api_key_rate_limit
        evaluation_window_sec = 60
        aggregate_key_type    = "CUSTOM_KEYS"
        custom_key {
          header {
            name = "x-api-key"
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${local.name}-per-api-key"
      sampled_requests_enabled   = false
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${local.name}-api"
    sampled_requests_enabled   = false
  }
  tags = local.tags
}

resource "aws_wafv2_web_acl_association" "api" {
  resource_arn = aws_api_gateway_stage.api.arn
  web_acl_arn  = aws_wafv2_web_acl.api.arn
}
