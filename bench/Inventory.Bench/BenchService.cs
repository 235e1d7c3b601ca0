using Inventory.Api;
using Inventory.Api.Local;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Bench;

/// <summary>
/// The service as the benchmarks run it: in process, on a free port, against its own in-memory DynamoDB Local, with
/// the rate limit out of the way and one key of the given scope.
/// </summary>
public sealed class BenchService : IAsyncDisposable
{
    private readonly DynamoDbLocal dynamoLocal;

    private BenchService(DynamoDbLocal dynamoLocal, WebApplication app)
    {
        this.dynamoLocal = dynamoLocal;
        App = app;
    }

    public WebApplication App { get; }

    public T Get<T>() where T : notnull => App.Services.GetRequiredService<T>();

    /// <param name="key">The benchmark's API key and its scope (Read, Reserve or Admin).</param>
    /// <param name="extraArgs">Configuration of this benchmark (jobs, stream reader, ...).</param>
    public static Task<BenchService> StartAsync((string Key, string Scope) key, params string[] extraArgs) =>
        StartAsync(key, dynamoUrl => Task.FromResult(dynamoUrl), extraArgs);

    /// <param name="key">The benchmark's API key and its scope (Read, Reserve or Admin).</param>
    /// <param name="storageUrl">Where the service sends its DynamoDB calls, given DynamoDB Local's address (a proxy in front of it).</param>
    /// <param name="extraArgs">Configuration of this benchmark (jobs, stream reader, ...).</param>
    public static async Task<BenchService> StartAsync((string Key, string Scope) key, Func<string, Task<string>> storageUrl, params string[] extraArgs)
    {
        var dynamoLocal = await DynamoDbLocal.StartAsync(dataDirectory: null);
        var app = await InventoryApp.BuildAsync(
        [
            "--environment=Benchmark", "--urls=http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            $"--Storage:ServiceUrl={await storageUrl(dynamoLocal.ServiceUrl)}", "--Storage:CreateTables=true",
            "--RateLimiting:PermitsPerSecond=1000000", "--RateLimiting:Burst=1000000",
            "--ApiKeys:Keys:0:Name=bench", $"--ApiKeys:Keys:0:Key={key.Key}", $"--ApiKeys:Keys:0:Scope={key.Scope}",
            .. extraArgs,
        ]);
        await InventoryApp.PrepareAsync(app);
        await app.StartAsync();
        return new BenchService(dynamoLocal, app);
    }

    /// <summary>An HTTP client of the service with the benchmark's key and up to <paramref name="connections"/> connections.</summary>
    public HttpClient Client(string key, int connections)
    {
        var address = new Uri(Get<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = connections }) { BaseAddress = address };
        http.DefaultRequestHeaders.Add("x-api-key", key);
        return http;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        dynamoLocal.Dispose();
    }
}
