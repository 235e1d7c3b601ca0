# REST API Gateway, described as an OpenAPI document built from deploy/api-routes.json (the service's own
# routes, checked against its OpenAPI document by the tests). Each route goes to the function of the scope it
# needs; every route is guarded by the service's TOKEN authorizer on x-api-key, whose policy allows exactly
# the routes of the key's scope. /events and /health are not routes. OPTIONS (CORS preflight) goes to the read
# function, which answers from the same allow-list as locally.

locals {
  scope_function = { Read = "read", Reserve = "reserve", Admin = "admin" }
  api_paths      = distinct([for route in local.routes : route.path])

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
              uri        = aws_lambda_function.function[local.scope_function[route.scope]].invoke_arn
            }
          } if route.path == path
        },
        {
          options = {
            parameters = [for name in regexall("{([^}]+)}", path) : { name = name[0], in = "path", required = true, schema = { type = "string" } }]
            security   = []
            "x-amazon-apigateway-integration" = {
              type       = "aws_proxy"
              httpMethod = "POST"
              uri        = aws_lambda_function.function["read"].invoke_arn
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
            authorizerUri                = aws_lambda_function.function["authorizer"].invoke_arn
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
  tags       = local.tags
  depends_on = [aws_api_gateway_account.api]
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

# API Gateway writes logs through one role per account and region.
resource "aws_iam_role" "api_gateway_logs" {
  name = "${local.name}-apigateway-logs"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
  tags = local.tags
}

resource "aws_iam_role_policy" "api_gateway_logs" {
  name = "write-api-logs"
  role = aws_iam_role.api_gateway_logs.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:DescribeLogGroups", "logs:DescribeLogStreams", "logs:PutLogEvents"]
      Resource = [
        "${aws_cloudwatch_log_group.api_access.arn}:*",
        "arn:aws:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:API-Gateway-Execution-Logs_${aws_api_gateway_rest_api.api.id}/*",
      ]
    }]
  })
}

resource "aws_api_gateway_account" "api" {
  cloudwatch_role_arn = aws_iam_role.api_gateway_logs.arn
}

resource "aws_lambda_permission" "api" {
  for_each      = toset(["read", "reserve", "admin"])
  statement_id  = "api-gateway"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function[each.key].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.api.execution_arn}/*/*"
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "api-gateway-authorizer"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.function["authorizer"].function_name
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
