using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Inventory.Api;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Support;

/// <summary>
/// The real service on a real Kestrel port against the shared DynamoDB Local, with its own tables.
/// Used as an xunit class fixture: one fresh service per test class.
/// </summary>
public class TestService : IAsyncLifetime
{
    public const string ReadKey = "test-read-key";
    public const string ReserveKey = "test-reserve-key";
    public const string AdminKey = "test-admin-key";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private WebApplication? app;

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    public T Get<T>() where T : notnull => Services.GetRequiredService<T>();

    /// <summary>Extra configuration for a test class (for example a tight rate limit).</summary>
    protected virtual IEnumerable<string> ExtraArgs => [];

    /// <summary>Service overrides for a test class (for example a fault-injecting DynamoDB client).</summary>
    protected virtual void OverrideServices(IServiceCollection services)
    {
    }

    public virtual async Task InitializeAsync()
    {
        var prefix = "t" + Guid.NewGuid().ToString("N")[..10];
        string[] args =
        [
            "--environment=Testing",
            "--urls=http://127.0.0.1:0",
            $"--Storage:ServiceUrl={await SharedDynamoDb.ServiceUrlAsync()}",
            "--Storage:CreateTables=true",
            // Two cores run the suite, DynamoDB Local and hundreds of parallel requests: allow slow calls.
            "--Storage:RequestTimeoutSeconds=30",
            $"--Storage:InventoryTable={prefix}-inventory",
            $"--Storage:ReservationsTable={prefix}-reservations",
            $"--Storage:ProductsTable={prefix}-products",
            $"--Storage:ProductSearchTable={prefix}-product-search",
            $"--Storage:IdempotencyTable={prefix}-idempotency",
            $"--Storage:AlertsTable={prefix}-alerts",
            $"--Storage:HistoryTable={prefix}-history",
            $"--Storage:VelocityTable={prefix}-velocity",
            $"--Storage:ShipmentsTable={prefix}-shipments",
            $"--Storage:ProcessedOrdersTable={prefix}-processed-orders",
            $"--Storage:ApiKeysTable={prefix}-api-keys",
            "--Logging:LogLevel:Default=Warning",
            "--RateLimiting:PermitsPerSecond=100000",
            "--RateLimiting:Burst=100000",
            "--Cors:AllowedOrigins:0=https://shop.example",
            "--Jobs:RunInProcess=true",
            "--Jobs:ExpirySweepIntervalSeconds=0.5",
            "--Inventory:MinReservationTtlSeconds=1",
            "--ApiKeys:Keys:0:Name=reader", $"--ApiKeys:Keys:0:Key={ReadKey}", "--ApiKeys:Keys:0:Scope=Read",
            "--ApiKeys:Keys:1:Name=platform", $"--ApiKeys:Keys:1:Key={ReserveKey}", "--ApiKeys:Keys:1:Scope=Reserve",
            "--ApiKeys:Keys:2:Name=admin", $"--ApiKeys:Keys:2:Key={AdminKey}", "--ApiKeys:Keys:2:Scope=Admin",
            .. ExtraArgs,
        ];
        app = await InventoryApp.BuildAsync(args, OverrideServices);
        await InventoryApp.PrepareAsync(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public virtual async Task DisposeAsync()
    {
        if (app is null)
        {
            return;
        }

        await app.StopAsync();
        // A DynamoDB Local that keeps every earlier class's tables (and their streams) slows every later call.
        await DeleteTablesAsync(Get<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value);
        await app.DisposeAsync();
    }

    /// <summary>
    /// Deletes every table these storage options name in the shared DynamoDB Local (each test service has its own), with
    /// a client of its own: the service's may be one that injects faults. Tables elsewhere go with their DynamoDB Local.
    /// </summary>
    public static async Task DeleteTablesAsync(StorageOptions storage)
    {
        var shared = await SharedDynamoDb.ServiceUrlAsync();
        if (storage.ServiceUrl != shared)
        {
            return;
        }

        using var dynamo = SharedDynamoDb.Client();
        var tables = typeof(StorageOptions).GetProperties()
            .Where(p => p.PropertyType == typeof(string) && p.Name.EndsWith("Table", StringComparison.Ordinal))
            .Select(p => (string?)p.GetValue(storage))
            .OfType<string>()
            .Where(table => table.Length > 0) // an empty name turns a table off (the key table)
            .Distinct();
        await Task.WhenAll(tables.Select(async table =>
        {
            try
            {
                await dynamo.DeleteTableAsync(table);
            }
            catch (Amazon.DynamoDBv2.Model.ResourceNotFoundException)
            {
            }
        }));
    }

    /// <summary>An HTTP client for the service, authenticated with the given key (or none), checking every answer against the OpenAPI document.</summary>
    public HttpClient Client(string? apiKey = AdminKey)
    {
        var client = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler { MaxConnectionsPerServer = 256 })) { BaseAddress = BaseAddress };
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add("x-api-key", apiKey);
        }

        return client;
    }

    /// <summary>A typed client of the service, authenticated with the given key.</summary>
    public InventoryClient Api(string apiKey = AdminKey) => new(Client(apiKey));

    /// <summary>Creates a product with stock in the default warehouse "main" and returns its id.</summary>
    public async Task<string> CreateProductAsync(long stock, long threshold = 5, string? category = null, string? sku = null)
    {
        sku ??= "p-" + Guid.NewGuid().ToString("N")[..12];
        using var admin = Client();
        var created = await admin.PostAsJsonAsync("/products", new { sku, name = "Test " + sku, price = 9.99m, category, threshold_level = threshold });
        created.EnsureSuccessStatusCode();
        if (stock > 0)
        {
            var put = await admin.PutAsJsonAsync($"/inventory/{sku}", new { warehouse_id = "main", stock_count = stock, expected_version = 1 });
            put.EnsureSuccessStatusCode();
        }

        // Stocking it is a transition (OUT to IN or LOW) that the change stream records: a test starts once it has.
        if (Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Features.Jobs.JobOptions>>().Value.ReadStreamInProcess)
        {
            await Eventually.TrueAsync(async () =>
            {
                var row = Inventory.Api.Domain.StockRules.StatusFor(stock, threshold).ToString();
                return (await StoredRowAsync(sku)).GetValueOrDefault("status")?.S == row;
            }, $"the stored status of the new product {sku} follows its stock");
        }

        return sku;
    }

    /// <summary>
    /// The stock invariants must hold for these products, every stored status exact included, once the change stream
    /// has caught up (within <see cref="Eventually.DefaultTimeout"/>); fails the test with the violations otherwise.
    /// </summary>
    public async Task AssertInvariantsAsync(params string[] productIds)
    {
        var report = await Eventually.ValueAsync(
            () => Get<InvariantChecker>().CheckAsync(productIds, CancellationToken.None, statusLagTolerance: TimeSpan.Zero),
            r => r.Holds || r.Violations.Any(v => v.Rule != "stored_status_exact"),
            "the stored statuses follow the counts");
        Assert.True(report.Holds, "Invariant violations: " + string.Join("; ", report.Violations.Select(v => $"{v.ProductId}/{v.WarehouseId} {v.Rule}: {v.Detail}")));
    }

    /// <summary>
    /// The products' stock histories must be complete, in order and add up to their rows' counts (and every other
    /// invariant hold) once the change stream has caught up, within <paramref name="timeout"/>; fails with the violations otherwise.
    /// </summary>
    public async Task AssertHistoryAsync(string[] productIds, TimeSpan? timeout = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var report = await Get<InvariantChecker>().CheckAsync(productIds, CancellationToken.None, statusLagTolerance: TimeSpan.Zero, includeHistory: true);
            if (report.Holds)
            {
                return;
            }

            Assert.True(clock.Elapsed < (timeout ?? Eventually.DefaultTimeout),
                $"After {clock.Elapsed.TotalSeconds:F1} s: " + string.Join("; ", report.Violations.Select(v => $"{v.ProductId}/{v.WarehouseId} {v.Rule}: {v.Detail}")));
            await Task.Delay(20);
        }
    }

    public static StringContent RawJson(string json) => new(json, Encoding.UTF8, "application/json");

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts an RFC 7807 answer with the given status and stable code, and returns it.</summary>
    public static async Task<JsonElement> AssertProblemAsync(HttpResponseMessage response, int status, string code)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status} {code}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(body).RootElement.Clone();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public async Task<JsonElement> GetInventoryAsync(string productId)
    {
        using var reader = Client(ReadKey);
        var response = await reader.GetAsync($"/inventory/{productId}");
        response.EnsureSuccessStatusCode();
        return await ReadJsonAsync(response);
    }

    public IAmazonDynamoDB Dynamo => Get<IAmazonDynamoDB>();

    /// <summary>Overwrites a row's stored status behind the service's back: a crash between a write and its reconciliation.</summary>
    public Task SetStoredStatusAsync(string productId, string status) =>
        Dynamo.UpdateItemAsync(new Amazon.DynamoDBv2.Model.UpdateItemRequest
        {
            TableName = Get<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.InventoryTable,
            Key = MainRowKey(productId),
            UpdateExpression = "SET #s = :s",
            ExpressionAttributeNames = new() { ["#s"] = "status" },
            ExpressionAttributeValues = new() { [":s"] = new() { S = status } },
        });

    public async Task<string> StoredStatusAsync(string productId) => (await StoredRowAsync(productId))["status"].S;

    /// <summary>The product's row in warehouse "main" as stored, every attribute, strongly consistent.</summary>
    public async Task<Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue>> StoredRowAsync(string productId) =>
        (await Dynamo.GetItemAsync(new Amazon.DynamoDBv2.Model.GetItemRequest
        {
            TableName = Get<Microsoft.Extensions.Options.IOptions<StorageOptions>>().Value.InventoryTable,
            Key = MainRowKey(productId),
            ConsistentRead = true,
        })).Item;

    /// <summary>The product's alerts, oldest first, read page by page from the admin listing (with <paramref name="filters"/>, a query string part: "&amp;alert_type=…").</summary>
    public async Task<List<JsonElement>> AlertsForAsync(string productId, string filters = "")
    {
        using var admin = Client();
        var alerts = new List<JsonElement>();
        string? token = null;
        do
        {
            var page = await ReadJsonAsync(await admin.GetAsync("/admin/alerts?limit=100" + filters + (token is null ? "" : "&next_token=" + token)));
            alerts.AddRange(page.GetProperty("items").EnumerateArray().Where(a => a.GetProperty("product_id").GetString() == productId));
            token = page.GetProperty("next_token").GetString();
        }
        while (token is not null);

        alerts.Reverse();
        return alerts;
    }

    private static Dictionary<string, Amazon.DynamoDBv2.Model.AttributeValue> MainRowKey(string productId) =>
        new() { ["product_id"] = new() { S = productId }, ["warehouse_id"] = new() { S = "main" } };
}
