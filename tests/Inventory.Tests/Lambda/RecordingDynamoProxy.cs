using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Inventory.Tests.Lambda;

/// <summary>
/// Stands between one function and DynamoDB Local and writes down every call as IAM would see it: the action
/// (dynamodb:GetItem…) and the resource (a table, or table/index/name). DynamoDB Local checks no permissions;
/// this is how a test can still prove that a function's role grants what its code calls, and nothing less.
/// </summary>
public sealed partial class RecordingDynamoProxy : IAsyncDisposable
{
    private static readonly HttpClient Upstream = new();
    private readonly WebApplication app;

    private RecordingDynamoProxy(WebApplication app) => this.app = app;

    public ConcurrentBag<(string Action, string Resource)> Calls { get; } = [];

    /// <summary>The region each call was signed for (from its Authorization header's credential scope).</summary>
    public ConcurrentBag<string> SigningRegions { get; } = [];

    /// <summary>
    /// DynamoDB Local keeps data per access key and region, and the fixture made the tables as us-east-1: calls are
    /// forwarded as that region whatever region they were signed for, so the test sees the region the function chose.
    /// </summary>
    private const string LocalRegion = "us-east-1";

    public Uri Address { get; private set; } = null!;

    [System.Text.RegularExpressions.GeneratedRegex(@"Credential=[^/]+/\d{8}/(?<region>[a-z0-9-]+)/dynamodb/aws4_request")]
    private static partial System.Text.RegularExpressions.Regex CredentialScope();

    public static async Task<RecordingDynamoProxy> StartAsync(string dynamoUrl)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var proxy = new RecordingDynamoProxy(app);
        app.Run(http => proxy.ForwardAsync(http, new Uri(dynamoUrl)));
        await app.StartAsync();
        proxy.Address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    private async Task ForwardAsync(HttpContext http, Uri upstream)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var target = http.Request.Headers["x-amz-target"].ToString();
        Record(target[(target.IndexOf('.') + 1)..], body);

        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(upstream, http.Request.Path + http.Request.QueryString))
        {
            Content = new ByteArrayContent(body),
        };
        foreach (var (name, values) in http.Request.Headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(values.ToString());
            }
            else if (name.Equals("authorization", StringComparison.OrdinalIgnoreCase)
                && CredentialScope().Match(values.ToString()) is { Success: true } scope)
            {
                SigningRegions.Add(scope.Groups["region"].Value);
                var local = values.ToString().Remove(scope.Groups["region"].Index, scope.Groups["region"].Length).Insert(scope.Groups["region"].Index, LocalRegion);
                request.Headers.TryAddWithoutValidation(name, local);
            }
            else if (!name.Equals("host", StringComparison.OrdinalIgnoreCase) && !name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await Upstream.SendAsync(request);
        http.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!name.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                http.Response.Headers[name] = values.ToArray();
            }
        }

        await http.Response.Body.WriteAsync(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The resources of one call, as IAM authorizes them: TransactWriteItems is checked per item action.</summary>
    private void Record(string operation, byte[] body)
    {
        using var json = JsonDocument.Parse(body);
        var root = json.RootElement;
        switch (operation)
        {
            case "TransactWriteItems":
                foreach (var item in root.GetProperty("TransactItems").EnumerateArray())
                {
                    foreach (var action in item.EnumerateObject())
                    {
                        var name = action.Name switch { "Put" => "PutItem", "Update" => "UpdateItem", "Delete" => "DeleteItem", _ => "ConditionCheckItem" };
                        Calls.Add(($"dynamodb:{name}", action.Value.GetProperty("TableName").GetString()!));
                    }
                }

                break;
            case "TransactGetItems":
                // IAM checks each read of a transactional read as a GetItem on its table.
                foreach (var item in root.GetProperty("TransactItems").EnumerateArray())
                {
                    Calls.Add(("dynamodb:GetItem", item.GetProperty("Get").GetProperty("TableName").GetString()!));
                }

                break;
            case "BatchGetItem" or "BatchWriteItem":
                foreach (var table in root.GetProperty("RequestItems").EnumerateObject())
                {
                    Calls.Add(($"dynamodb:{operation}", table.Name));
                }

                break;
            default:
                var resource = root.GetProperty("TableName").GetString()!;
                if (root.TryGetProperty("IndexName", out var index))
                {
                    resource += "/index/" + index.GetString();
                }

                Calls.Add(($"dynamodb:{operation}", resource));
                break;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
