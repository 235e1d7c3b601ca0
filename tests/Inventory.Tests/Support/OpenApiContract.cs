using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Inventory.Tests.Support;

/// <summary>
/// The served OpenAPI document as a contract every answer must keep: the status is declared for the operation,
/// the media type is declared for that status, and the body validates against the declared schema (JSON Schema
/// 2020-12, as OpenAPI 3.1 defines it). Error answers outside any declared operation (an unknown route, a method
/// the route does not have) must still be the documented problem JSON. The tests' HTTP clients send every answer
/// through <see cref="Checking"/>, so the whole suite checks the document against what the service really says.
/// </summary>
public sealed partial class OpenApiContract
{
    private const string DocumentPath = "/openapi/v1.json";
    private const string ProblemSchemaName = "Problem";

    private static readonly ConcurrentDictionary<string, Task<OpenApiContract>> ByService = new();

    /// <summary>Every test service serves the same document (but for its path base): compiled once per text, not once per service.</summary>
    private static readonly ConcurrentDictionary<string, OpenApiContract> ByDocument = new();

    private readonly List<Operation> operations;
    private readonly JsonSchema problemSchema;

    private OpenApiContract(JsonElement document)
    {
        var components = document.GetProperty("components");
        operations = [];
        foreach (var path in document.GetProperty("paths").EnumerateObject())
        {
            foreach (var method in path.Value.EnumerateObject().Where(m => m.Name != "parameters"))
            {
                var responses = new Dictionary<string, Dictionary<string, JsonSchema?>>();
                foreach (var response in method.Value.GetProperty("responses").EnumerateObject())
                {
                    var media = new Dictionary<string, JsonSchema?>();
                    if (response.Value.TryGetProperty("content", out var content))
                    {
                        foreach (var type in content.EnumerateObject())
                        {
                            media[type.Name] = type.Value.TryGetProperty("schema", out var schema) ? Compile(schema, components) : null;
                        }
                    }

                    responses[response.Name] = media;
                }

                operations.Add(new Operation(method.Name.ToUpperInvariant(), path.Name, TemplatePattern(path.Name), responses));
            }
        }

        // Literal segments win over parameters (POST /inventory/check is not POST /inventory/{productId}).
        operations.Sort((a, b) => a.Template.Count(c => c == '{').CompareTo(b.Template.Count(c => c == '{')));
        problemSchema = Compile(JsonDocument.Parse($$"""{"$ref":"#/components/schemas/{{ProblemSchemaName}}"}""").RootElement, components);
    }

    /// <summary>Every operation of the document as "METHOD /template".</summary>
    public IReadOnlyList<string> Operations => [.. operations.Select(o => o.Key)];

    /// <summary>The operations that answered a checked request, with the statuses they answered, per service address.</summary>
    public static ConcurrentDictionary<string, ConcurrentDictionary<string, ConcurrentDictionary<int, bool>>> Reached { get; } = new();

    /// <summary>An HTTP handler that checks every answer against the answering service's own document.</summary>
    public static DelegatingHandler Checking(HttpMessageHandler inner) => new CheckingHandler(inner);

    public static OpenApiContract FromDocument(JsonElement document) => new(document);

    public static Task<OpenApiContract> ForAsync(Uri service) =>
        ByService.GetOrAdd(service.GetLeftPart(UriPartial.Authority), async authority =>
        {
            using var http = new HttpClient { BaseAddress = new Uri(authority) };
            var text = await http.GetStringAsync(DocumentPath);
            return ByDocument.GetOrAdd(text, t => FromDocument(JsonDocument.Parse(t).RootElement.Clone()));
        });

    /// <summary>The ways this answer breaks the contract; none when it keeps it.</summary>
    public IReadOnlyList<string> Violations(string method, string path, int status, string? mediaType, string? body, out string? operationKey)
    {
        var violations = new List<string>();
        var matching = operations.Where(o => o.Pattern.IsMatch(path)).ToList();
        var operation = matching.FirstOrDefault(o => o.Method == method);
        operationKey = operation?.Key;
        if (operation is null)
        {
            // Outside the document: the answer can only be a refusal, and refusals are the documented problem JSON.
            if (status >= 400 && method != "HEAD")
            {
                CheckProblem(status, mediaType, body, violations);
            }

            return violations;
        }

        var declared = operation.Responses.GetValueOrDefault(status.ToString())
            ?? operation.Responses.GetValueOrDefault($"{status / 100}XX")
            ?? operation.Responses.GetValueOrDefault("default");
        if (declared is null)
        {
            violations.Add($"status {status} is not declared (declared: {string.Join(", ", operation.Responses.Keys)})");
            if (status >= 400)
            {
                CheckProblem(status, mediaType, body, violations);
            }

            return violations;
        }

        if (string.IsNullOrEmpty(body) || method == "HEAD")
        {
            if (declared.Count > 0 && method != "HEAD" && status != 304)
            {
                violations.Add($"status {status} declares a body ({string.Join(", ", declared.Keys)}) but none came");
            }

            return violations;
        }

        if (mediaType is null || !declared.TryGetValue(mediaType, out var schema))
        {
            violations.Add($"media type '{mediaType}' is not declared for status {status} (declared: {string.Join(", ", declared.Keys)})");
            return violations;
        }

        if (schema is not null && IsJson(mediaType))
        {
            violations.AddRange(Validate(schema, body));
        }

        if (status >= 400)
        {
            CheckProblem(status, mediaType, body, violations);
        }

        return violations;
    }

    private void CheckProblem(int status, string? mediaType, string? body, List<string> violations)
    {
        if (mediaType != "application/problem+json" || string.IsNullOrEmpty(body))
        {
            violations.Add($"a {status} must be application/problem+json with a body, got '{mediaType}' ({body?.Length ?? 0} chars)");
            return;
        }

        violations.AddRange(Validate(problemSchema, body));
        using var problem = JsonDocument.Parse(body);
        if (problem.RootElement.TryGetProperty("status", out var stated) && stated.ValueKind == JsonValueKind.Number && stated.GetInt32() != status)
        {
            violations.Add($"the problem states status {stated} but the answer is {status}");
        }

        foreach (var field in new[] { "title", "detail" })
        {
            if (problem.RootElement.TryGetProperty(field, out var text) && text.ValueKind == JsonValueKind.String
                && FrameworkText().Match(text.GetString()!) is { Success: true } leak)
            {
                violations.Add($"the {field} speaks of the implementation ('{leak.Value}'), not in words a client developer understands");
            }
        }
    }

    private static List<string> Validate(JsonSchema schema, string body)
    {
        JsonDocument instance;
        try
        {
            instance = JsonDocument.Parse(body);
        }
        catch (JsonException e)
        {
            return [$"the body is not JSON: {e.Message}"];
        }

        using (instance)
        {
            var result = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            return result.IsValid
                ? []
                : (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                    .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Key}: {e.Value}"))
                    .DefaultIfEmpty("the body does not match its schema")
                    .Take(10)
                    .ToList();
        }
    }

    /// <summary>
    /// One self-contained JSON Schema for a schema of the document: the document's components travel along so that
    /// its "#/components/schemas/..." references resolve inside it.
    /// </summary>
    private static JsonSchema Compile(JsonElement schema, JsonElement components)
    {
        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["components"] = JsonNode.Parse(components.GetRawText()),
            ["allOf"] = new JsonArray(JsonNode.Parse(schema.GetRawText())),
        };
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return JsonSchema.FromText(root.ToJsonString(), options, new Uri($"https://contract.test/{Guid.NewGuid():N}"));
    }

    private static Regex TemplatePattern(string template) =>
        new("^" + ParameterPattern().Replace(Regex.Escape(template).Replace(@"\{", "{"), "[^/]+") + "$", RegexOptions.CultureInvariant);

    private static bool IsJson(string mediaType) => mediaType is "application/json" or "application/problem+json";

    /// <summary>Signs of a framework or runtime message: .NET type names, generic arity, parameter binding talk.</summary>
    [GeneratedRegex(@"System\.|Microsoft\.|Inventory\.Api|`\d|Nullable|parameter ""|Did you mean|LineNumber|BytePositionInLine|Exception")]
    private static partial Regex FrameworkText();

    [GeneratedRegex(@"\{[^}/]+\}")]
    private static partial Regex ParameterPattern();

    private sealed record Operation(string Method, string Template, Regex Pattern, Dictionary<string, Dictionary<string, JsonSchema?>> Responses)
    {
        public string Key => $"{Method} {Template}";
    }

    private sealed class CheckingHandler(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var uri = request.RequestUri!;
            // /events is the Lambda event endpoint, left out of the document on purpose: its answers go to the Lambda
            // runtime (partial batch failures), not to API clients. The document itself is what is checked against, not
            // an operation it describes (the schema of a schema is OpenAPI's own).
            if (uri.AbsolutePath is DocumentPath or "/events")
            {
                return response;
            }

            var mediaType = response.Content.Headers.ContentType?.MediaType;
            string? body = null;
            if (mediaType is not null && IsJson(mediaType))
            {
                // Buffered, so the test reads the same body afterwards.
                await response.Content.LoadIntoBufferAsync(cancellationToken);
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }
            else if (mediaType is not null && (int)response.StatusCode >= 400)
            {
                body = await response.Content.ReadAsStringAsync(cancellationToken);
            }

            var contract = await ForAsync(uri);
            var status = (int)response.StatusCode;
            var violations = contract.Violations(request.Method.Method, uri.AbsolutePath, status, mediaType, body ?? (mediaType is null ? null : "(not read)"), out var operation);
            if (operation is not null)
            {
                Reached.GetOrAdd(uri.GetLeftPart(UriPartial.Authority), _ => new()).GetOrAdd(operation, _ => new()).TryAdd(status, true);
            }

            if (violations.Count > 0)
            {
                throw new OpenApiContractException(
                    $"{request.Method} {uri.PathAndQuery} answered {status} {mediaType}, which breaks the OpenAPI document:\n  "
                    + string.Join("\n  ", violations) + (body is null ? "" : $"\nBody: {Truncate(body)}"));
            }

            return response;
        }

        private static string Truncate(string text) => text.Length <= 2000 ? text : text[..2000] + "...";
    }
}

/// <summary>An answer that does not match the served OpenAPI document.</summary>
public sealed class OpenApiContractException(string message) : Exception(message);
