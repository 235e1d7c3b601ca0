using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Inventory.Api;
using Inventory.Api.Local;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Bench;

/// <summary>
/// Cold start as a Lambda instance pays it: exec of the package's start script to the first successful
/// GET /inventory/{id} (which authenticates the key against the key table and reads the row from DynamoDB Local),
/// for each build given, N fresh processes each; then resident memory after 1,000 more requests.
/// Usage: make bench-coldstart   (or: dotnet run --project bench/Inventory.Bench -c Release -- coldstart RUNS NAME=DIR...)
/// </summary>
public static class ColdStartBenchmark
{
    private const string Key = "ik_coldstart-benchmark-key-0123456789abcdefghij";

    public static async Task<int> RunAsync(string[] args)
    {
        var runs = int.Parse(args[0], CultureInfo.InvariantCulture);
        var builds = args.Skip(1).Select(a => a.Split('=', 2)).Select(p => (Name: p[0], Directory: Path.GetFullPath(p[1]))).ToList();

        using var dynamo = await DynamoDbLocal.StartAsync(dataDirectory: null);
        var storage = await PrepareAsync(dynamo.ServiceUrl);

        Console.WriteLine($"Cold start: exec → first successful GET /inventory/demo-tee, {runs} fresh processes per build, DynamoDB Local, {Environment.ProcessorCount} cores");
        Console.WriteLine($"{"build",-36} {"median ms",10} {"best ms",8} {"worst ms",9} {"RSS after 1,000 GETs",21}");
        var failed = false;
        foreach (var (name, directory) in builds)
        {
            var times = new List<double>();
            long rss = 0;
            for (var run = 0; run < runs; run++)
            {
                var (elapsed, memory) = await StartOnceAsync(directory, storage, measureMemory: run == runs - 1);
                if (elapsed is null)
                {
                    failed = true;
                    Console.WriteLine($"{name}: run {run + 1} never answered");
                    break;
                }

                times.Add(elapsed.Value);
                rss = memory;
            }

            if (times.Count == runs)
            {
                times.Sort();
                Console.WriteLine($"{name,-36} {times[times.Count / 2],10:F0} {times[0],8:F0} {times[^1],9:F0} {rss / 1024.0 / 1024.0,18:F0} MB");
            }
        }

        return failed ? 1 : 0;
    }

    /// <summary>Tables, the demo products and one key in the key table, as a deployed stack has them before its first request.</summary>
    private static async Task<StorageOptions> PrepareAsync(string serviceUrl)
    {
        var app = await InventoryApp.BuildAsync(
        [
            "--environment=Benchmark", "--Logging:LogLevel:Default=Warning", $"--Storage:ServiceUrl={serviceUrl}",
            "--Storage:CreateTables=true", "--Storage:ApiKeysTable=inventory-api-keys", "--Demo:Seed=true",
        ]);
        await InventoryApp.PrepareAsync(app);
        var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var hash = ApiKeyRecord.HashOf(Key);
        await app.Services.GetRequiredService<ApiKeyStore>().TryCreateAsync(
            new ApiKeyRecord(ApiKeyRecord.IdOf(hash), hash, "storefront", Scope.Read, DateTimeOffset.UtcNow, null), CancellationToken.None);
        await app.DisposeAsync();
        return storage;
    }

    private static async Task<(double? Milliseconds, long Rss)> StartOnceAsync(string directory, StorageOptions storage, bool measureMemory)
    {
        var port = DynamoDbLocal.FreePort();
        var start = new ProcessStartInfo(Path.Combine(directory, "run.sh")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["LAMBDA_TASK_ROOT"] = directory;
        start.Environment["AWS_LAMBDA_FUNCTION_NAME"] = "inventory-read";
        start.Environment["AWS_REGION"] = "eu-west-1";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["AWS_LWA_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        start.Environment["Storage__ServiceUrl"] = storage.ServiceUrl;
        start.Environment["Storage__InventoryTable"] = storage.InventoryTable;
        start.Environment["Storage__ApiKeysTable"] = "inventory-api-keys";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["RateLimiting__PermitsPerSecond"] = "100000"; // the memory reading sends 1,000 GETs as fast as it can
        start.Environment["RateLimiting__Burst"] = "100000";

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
        http.DefaultRequestHeaders.Add("x-api-key", Key);
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            double? elapsed = null;
            while (clock.Elapsed < TimeSpan.FromSeconds(30) && !process.HasExited)
            {
                try
                {
                    if ((await http.GetAsync("/inventory/demo-tee")).IsSuccessStatusCode)
                    {
                        elapsed = clock.Elapsed.TotalMilliseconds;
                        break;
                    }
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(2); // not listening yet
                }
            }

            long rss = 0;
            if (elapsed is not null && measureMemory)
            {
                for (var i = 0; i < 1000; i++)
                {
                    (await http.GetAsync("/inventory/demo-tee")).EnsureSuccessStatusCode();
                }

                process.Refresh();
                rss = process.WorkingSet64;
            }

            return (elapsed, rss);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
