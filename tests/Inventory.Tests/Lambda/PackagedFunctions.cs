using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Inventory.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Inventory.Tests.Lambda;

/// <summary>
/// The Lambda package, built by deploy/package.sh, started the way Lambda starts it: its bootstrap, the environment
/// deploy/functions.json gives each function, no development settings, tables created beforehand (on AWS,
/// Terraform's job) and reached through a <see cref="RecordingDynamoProxy"/> per function.
/// Set INVENTORY_LAMBDA_PACKAGE_DIR to an unpacked package to skip the build. The build is the framework-dependent
/// package (<c>make test</c>: half a minute) unless INVENTORY_LAMBDA_PACKAGE_MODE says <c>aot</c>, the Native AOT build that
/// ships (<c>make test-load</c>: three minutes of both cores here); the same code and settings either way.
/// </summary>
public sealed class PackagedFunctions : IAsyncLifetime
{
    public const string ReadKey = "ik_packaged-read-key-0123456789abcdefghijklmnop";
    public const string ReserveKey = "ik_packaged-reserve-key-0123456789abcdefghijklm";
    public const string AdminKey = "ik_packaged-admin-key-0123456789abcdefghijklmno";

    private readonly ConcurrentDictionary<string, Lazy<Task<RunningFunction>>> running = new();
    private readonly string prefix = "l" + Guid.NewGuid().ToString("N")[..10];
    private string dynamoUrl = null!;

    public static string RepositoryRoot { get; } = FindRoot();

    public string PackageDirectory { get; private set; } = null!;

    public JsonElement Manifest { get; private set; }

    public StorageOptions Storage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        dynamoUrl = await SharedDynamoDb.ServiceUrlAsync();
        Manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(RepositoryRoot, "deploy", "functions.json"))).RootElement.Clone();
        PackageDirectory = System.Environment.GetEnvironmentVariable("INVENTORY_LAMBDA_PACKAGE_DIR") is { Length: > 0 } dir ? dir : await BuildPackageAsync();

        Storage = new StorageOptions
        {
            ServiceUrl = dynamoUrl,
            InventoryTable = TableName("inventory"),
            ReservationsTable = TableName("reservations"),
            ProductsTable = TableName("products"),
            ProductSearchTable = TableName("product_search"),
            IdempotencyTable = TableName("idempotency"),
            AlertsTable = TableName("alerts"),
            HistoryTable = TableName("history"),
            VelocityTable = TableName("velocity"),
            ProcessedOrdersTable = TableName("processed_orders"),
            ApiKeysTable = TableName("api_keys"),
            ShipmentsTable = TableName("shipments"),
        };
        using var dynamo = new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = dynamoUrl, AuthenticationRegion = "us-east-1" });
        await new TableProvisioner(dynamo, Options.Create(Storage), NullLogger<TableProvisioner>.Instance).EnsureTablesAsync(CancellationToken.None);

        // On AWS the first admin key is written at deploy time; here the three test keys are.
        var keys = new ApiKeyStore(dynamo, new Writes(dynamo, Options.Create(Storage), NullLogger<Writes>.Instance), Options.Create(Storage));
        foreach (var (name, key, scope) in new[] { ("storefront", ReadKey, Scope.Read), ("platform", ReserveKey, Scope.Reserve), ("staff", AdminKey, Scope.Admin) })
        {
            var hash = ApiKeyRecord.HashOf(key);
            await keys.TryCreateAsync(new ApiKeyRecord(ApiKeyRecord.IdOf(hash), hash, name, scope, DateTimeOffset.UtcNow, null), CancellationToken.None);
        }
    }

    public string TableName(string table) => $"{prefix}-{Manifest.GetProperty("tables").GetProperty(table).GetProperty("default_name").GetString()}";

    /// <summary>The function, started once and ready (its readiness check answered, as the Web Adapter waits for).</summary>
    public Task<RunningFunction> FunctionAsync(string name) =>
        running.GetOrAdd(name, n => new Lazy<Task<RunningFunction>>(() => StartAsync(n))).Value;

    private async Task<RunningFunction> StartAsync(string name)
    {
        var proxy = await RecordingDynamoProxy.StartAsync(dynamoUrl);
        var port = Inventory.Api.Local.DynamoDbLocal.FreePort();
        var start = new ProcessStartInfo(Path.Combine(PackageDirectory, "bootstrap"))
        {
            WorkingDirectory = "/",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var variable in start.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(variable);
        }

        foreach (var (variable, value) in EnvironmentOf(name))
        {
            start.Environment[variable] = value;
        }

        start.Environment["AWS_LWA_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Storage__ServiceUrl"] = proxy.Address.ToString();

        var process = Process.Start(start)!;
        var function = new RunningFunction(name, process, proxy, new Uri($"http://127.0.0.1:{port}"));
        await function.WaitUntilReadyAsync(TimeSpan.FromSeconds(60));
        return function;
    }

    /// <summary>What Lambda and deploy/functions.json give the function; on AWS, Terraform sets exactly these.</summary>
    public Dictionary<string, string> EnvironmentOf(string function)
    {
        var environment = Manifest.GetProperty("environment").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        foreach (var table in Manifest.GetProperty("tables").EnumerateObject())
        {
            environment[table.Value.GetProperty("setting").GetString()!] = TableName(table.Name);
        }

        if (Manifest.GetProperty("functions").GetProperty(function).TryGetProperty("environment", out var own))
        {
            foreach (var setting in own.EnumerateObject())
            {
                environment[setting.Name] = setting.Value.GetString()!;
            }
        }

        environment["LAMBDA_TASK_ROOT"] = PackageDirectory;
        environment["_HANDLER"] = "bootstrap";
        environment["AWS_LAMBDA_FUNCTION_NAME"] = $"inventory-{function}";
        environment["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = Manifest.GetProperty("functions").GetProperty(function).GetProperty("memory_mb").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture);
        environment["AWS_REGION"] = "eu-west-1";
        return environment;
    }

    /// <summary>The IAM grants of the function, as (dynamodb:Action, resource) with resources as real table names.</summary>
    public HashSet<(string Action, string Resource)> Grants(string function)
    {
        var grants = new HashSet<(string, string)>();
        foreach (var resource in Manifest.GetProperty("functions").GetProperty(function).GetProperty("dynamodb").EnumerateObject())
        {
            var parts = resource.Name.Split('/', 2);
            var name = TableName(parts[0]) + (parts.Length > 1 ? "/" + parts[1] : string.Empty);
            foreach (var action in resource.Value.EnumerateArray())
            {
                grants.Add(($"dynamodb:{action.GetString()}", name));
            }
        }

        return grants;
    }

    public async Task DisposeAsync()
    {
        foreach (var function in running.Values.Where(l => l.IsValueCreated))
        {
            try
            {
                await (await function.Value).DisposeAsync();
            }
            catch (Exception)
            {
                // A function that never started has nothing to stop.
            }
        }

        await TestService.DeleteTablesAsync(Storage);
    }

    private static async Task<string> BuildPackageAsync()
    {
        // For this machine's architecture (the arm64 package that ships cannot run here: make test-load checks it).
        var mode = System.Environment.GetEnvironmentVariable("INVENTORY_LAMBDA_PACKAGE_MODE") is { Length: > 0 } asked ? asked : "framework";
        var build = Process.Start(new ProcessStartInfo("bash", ["deploy/package.sh", "x86_64", mode])
        {
            WorkingDirectory = RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        Assert.True(build.ExitCode == 0, $"deploy/package.sh failed: {await output}{await errors}");
        return Path.Combine(RepositoryRoot, "artifacts", "lambda", $"inventory-x86_64-{mode}");
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Inventory.slnx")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Inventory.slnx not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>One started function: its process, its log lines, its DynamoDB calls.</summary>
public sealed class RunningFunction : IAsyncDisposable
{
    private readonly Process process;

    public RunningFunction(string name, Process process, RecordingDynamoProxy proxy, Uri address)
    {
        Name = name;
        this.process = process;
        Proxy = proxy;
        Address = address;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { Logs.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { Logs.Enqueue(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Name { get; }

    public RecordingDynamoProxy Proxy { get; }

    public Uri Address { get; }

    public ConcurrentQueue<string> Logs { get; } = new();

    public HttpClient Client() => new() { BaseAddress = Address };

    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = Client();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            Assert.False(process.HasExited, $"{Name} exited during start-up:\n{string.Join('\n', Logs)}");
            try
            {
                if ((await client.GetAsync("/health/live")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(25);
        }

        Assert.Fail($"{Name} was not ready within {timeout}:\n{string.Join('\n', Logs)}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        process.Dispose();
        await Proxy.DisposeAsync();
    }
}
