using Inventory.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc.Infrastructure;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.OpenApi;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// What /openapi/v1.json says beyond what the endpoints declare: the x-api-key scheme, one problem schema for every
/// error with the fields every error really carries, the refusals every operation can answer (no key, a key without
/// the scope, the rate limit, an unreadable body, the database not answering), request fields marked required
/// only when the service refuses a request without them, and what each query parameter accepts. The tests check every
/// answer they receive against it.
/// </summary>
public static class OpenApiDocumentation
{
    public const string ProblemSchema = "Problem";
    private const string ProblemMediaType = "application/problem+json";

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer(DescribeDocument);
        options.AddOperationTransformer(DeclareRefusals);
        options.AddOperationTransformer(DescribeQueryValues);
        options.AddSchemaTransformer(MarkRequiredRequestFields);
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken ct)
    {
        document.Info.Title = "Inventory API";
        document.Info.Description =
            "Real-time stock, reservations and sales. Authenticate with the x-api-key header; scopes are read < reserve < admin. " +
            "Every error is RFC 7807 problem JSON (application/problem+json) with a stable 'code' and a 'trace_id' to quote to support.";
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes["ApiKey"] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = ApiKeyAuthentication.HeaderName,
            Description = "Your API key.",
        };
        document.Security ??= [];
        document.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("ApiKey", document)] = [] });

        document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        // The framework's ProblemDetails schema forbids the fields every error carries (code, trace_id); every error
        // response refers to Problem instead.
        document.Components.Schemas.Remove("ProblemDetails");
        document.Components.Schemas[ProblemSchema] = Problem(document);
        return Task.CompletedTask;
    }

    private static OpenApiSchema Problem(OpenApiDocument document) => new()
    {
        Type = JsonSchemaType.Object,
        Description = "An RFC 7807 problem. Branch on 'code' (stable); 'title' and 'detail' are for people. Refusals add the fields " +
            "that explain them, for example 'errors' (invalid fields), 'items' (every short item of a multi-item request) " +
            "or 'current' (the row as it is now).",
        Required = new HashSet<string> { "type", "title", "status", "detail", "code", "trace_id" },
        Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = Text("A URI naming the kind of problem: the base address followed by the code."),
            ["title"] = Text("A short summary of the problem."),
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "The HTTP status." },
            ["detail"] = Text("What happened to this request, in plain words."),
            ["code"] = Text("The stable machine-readable code, e.g. insufficient_stock, validation_failed, unauthorized."),
            ["trace_id"] = Text("Identifies this request in the service's logs."),
            ["instance"] = Text("The request path, when given."),
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "validation_failed: every invalid field with what is wrong with it.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            },
            ["items"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "insufficient_stock: every item that cannot be supplied (also when only one is short).",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "product_id", "requested", "available_count", "reason" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["product_id"] = Text("The item's product."),
                        ["warehouse_id"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The warehouse asked for, if one was." },
                        ["requested"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Units asked for." },
                        ["available_count"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Units that could be had." },
                        ["reason"] = Text("Why it cannot be supplied: insufficient_stock, product_not_found, warehouse_not_found, ..."),
                    },
                },
            },
            ["current"] = new OpenApiSchemaReference("InventoryRowView", document),
        },
        AdditionalPropertiesAllowed = true,
    };

    private static OpenApiSchema Text(string description) => new() { Type = JsonSchemaType.String, Description = description };

    private static Task DeclareRefusals(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var anonymous = metadata.OfType<IAllowAnonymous>().Any();
        var hasInput = (context.Description.ParameterDescriptions.Count > 0) || operation.RequestBody is not null;
        operation.Responses ??= new OpenApiResponses();
        var responses = operation.Responses;
        if (anonymous)
        {
            // No key needed: an empty requirement overrides the document's default one.
            operation.Security = [];
        }
        else
        {
            Add(responses, 401, "No x-api-key header, or a key the service does not know (code 'unauthorized').");
            Add(responses, 403, "The key's scope does not allow this operation (code 'forbidden').");
        }

        if (!metadata.OfType<DisableRateLimitingAttribute>().Any())
        {
            Add(responses, 429, "Too many requests for this key's tier (code 'rate_limited'); wait the Retry-After seconds.");
        }

        if (hasInput)
        {
            Add(responses, 400, "The request is not valid (code 'validation_failed' with 'errors', or 'invalid_request'); nothing was changed.");
        }

        if (operation.RequestBody is not null)
        {
            Add(responses, 413, "The body is larger than the service reads (code 'request_too_large').");
            Add(responses, 415, "The body is not JSON (code 'unsupported_media_type'); send Content-Type: application/json.");
        }

        if (context.Description.RelativePath != "health/live")
        {
            Add(responses, 503, "The database is not answering or is busy (code 'storage_unavailable' or 'storage_busy'); nothing was changed; retry after Retry-After seconds.");
        }

        Add(responses, 500, "A failure on the service's side (code 'internal_error'); quote the trace_id. Retrying an idempotent request is safe.");

        // Whatever an endpoint declared, every error body is the one problem schema.
        foreach (var (status, response) in responses)
        {
            if (status.Length == 3 && status[0] is '4' or '5' && response is OpenApiResponse concrete)
            {
                concrete.Content = new Dictionary<string, OpenApiMediaType>
                {
                    [ProblemMediaType] = new() { Schema = new OpenApiSchemaReference(ProblemSchema, context.Document) },
                };
            }
        }

        return Task.CompletedTask;
    }

    private static void Add(OpenApiResponses responses, int status, string description)
    {
        var key = status.ToString();
        if (responses.TryGetValue(key, out var existing) && existing is OpenApiResponse declared)
        {
            declared.Description = description;
            return;
        }

        responses[key] = new OpenApiResponse { Description = description };
    }

    /// <summary>
    /// Query parameters are bound as text, which the framework documents as a plain string; a
    /// <see cref="QueryValueAttribute"/> on the parameter says what the service really accepts (an enum, a time, a
    /// limit, a boolean, an id), and whether it is required.
    /// </summary>
    private static Task DescribeQueryValues(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken ct)
    {
        foreach (var description in context.Description.ParameterDescriptions)
        {
            if (description.ParameterDescriptor is not IParameterInfoParameterDescriptor { ParameterInfo: var info }
                || info.GetCustomAttributes(typeof(QueryValueAttribute), inherit: false) is not [QueryValueAttribute accepts])
            {
                continue;
            }

            var parameter = operation.Parameters?.OfType<OpenApiParameter>()
                .SingleOrDefault(p => p.In == ParameterLocation.Query && p.Name == description.Name)
                ?? throw new InvalidOperationException($"{info.Name} of {context.Description.RelativePath} has a {nameof(QueryValueAttribute)} but is not a query parameter.");
            parameter.Schema = accepts.Schema(context.ApplicationServices);
            parameter.Required = accepts.Required;
            parameter.Description ??= accepts.Description ?? accepts.Accepts(context.ApplicationServices);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Request bodies are nullable records so that the service, not the JSON reader, explains a missing field; the
    /// document must still say which fields are required (those without a default) and that they cannot be null.
    /// </summary>
    private static Task MarkRequiredRequestFields(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken ct)
    {
        if (!typeof(IRequestBody).IsAssignableFrom(context.JsonTypeInfo.Type) || schema.Properties is null)
        {
            return Task.CompletedTask;
        }

        foreach (var name in schema.Required ?? new HashSet<string>())
        {
            if (schema.Properties.TryGetValue(name, out var property) && property is OpenApiSchema field && field.Type is { } type)
            {
                field.Type = type & ~JsonSchemaType.Null;
            }
        }

        return Task.CompletedTask;
    }
}

/// <summary>
/// A JSON request body. Its fields are nullable so that the service's validation names a missing one; those without a
/// default value are documented as required.
/// </summary>
public interface IRequestBody;
