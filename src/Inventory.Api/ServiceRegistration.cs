using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Inventory.Api.Features;
using Inventory.Api.Features.Alerts;
using Inventory.Api.Features.Events;
using Inventory.Api.Features.Exports;
using Inventory.Api.Features.Imports;
using Inventory.Api.Features.Jobs;
using Inventory.Api.Infrastructure;
using Inventory.Api.Local;
using Inventory.Api.Projections;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Features.Fulfilment;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Features.Shipments;

namespace Inventory.Api;

/// <summary>
/// The service's parts, one method per wing: storage (persistence only), the use cases of the features, the change
/// stream's projections, the background jobs, security, and the HTTP conventions every endpoint shares.
/// </summary>
public static class ServiceRegistration
{
    /// <summary>DynamoDB and the classes that load and save its items; no business decision lives here.</summary>
    public static IServiceCollection AddStorage(this IServiceCollection services)
    {
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.Section);
        services.AddOptions<AttemptOptions>().BindConfiguration(AttemptOptions.Section);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(CreateDynamoClient);
        services.AddSingleton<Writes>();
        services.AddSingleton<IdempotencyRecords>();
        services.AddSingleton<StockRows>();
        services.AddSingleton<HotRows>();
        services.AddSingleton<ReservationRecords>();
        services.AddSingleton<AlertRecords>();
        services.AddSingleton<HistoryRecords>();
        services.AddSingleton<CoverRecords>();
        services.AddSingleton<StreamCheckpoints>();
        services.AddSingleton<ProductSearchIndex>();
        services.AddSingleton<ProcessedOrders>();
        services.AddSingleton<DeliveryCursors>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton<ProductStore>();
        services.AddSingleton<InvariantChecker>();
        services.AddSingleton<TableProvisioner>();
        return services;
    }

    /// <summary>The use cases the endpoints and message handlers call.</summary>
    public static IServiceCollection AddFeatures(this IServiceCollection services)
    {
        services.AddOptions<InventoryOptions>().BindConfiguration(InventoryOptions.Section);
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section);
        services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section);
        services.AddSingleton<StockCommands>();
        services.AddSingleton<HoldExpiry>();
        services.AddSingleton<HoldCommands>();
        services.AddSingleton<SaleCommands>();
        services.AddSingleton<TransferCommands>();
        services.AddSingleton<ShipmentCommands>();
        services.AddSingleton<ImportWrites>();
        services.AddSingleton<StockImporter>();
        services.AddSingleton<ReserveInventoryHandler>();
        services.AddSingleton<WebAdapterEnvironment>();
        return services;
    }

    /// <summary>
    /// The derived work that follows every stock write: each <see cref="IChangeConsumer"/> behind the one entry,
    /// <see cref="ChangeStream"/>, and the threshold check behind the status. Locally a reader of DynamoDB Local's stream
    /// feeds it; on AWS the stream function's event source mapping posts the same batches to <c>/events</c>.
    /// </summary>
    public static IServiceCollection AddStream(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddConsumer<StatusProjection>();
        services.AddConsumer<HistoryProjection>();
        services.AddConsumer<CoverProjection>();
        services.AddSingleton<ChangeStream>();
        services.AddSingleton<ThresholdCheck>();
        if (!string.IsNullOrEmpty(configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.ServiceUrl)}"])
            && configuration.GetValue($"{JobOptions.Section}:{nameof(JobOptions.ReadStreamInProcess)}", defaultValue: true))
        {
            services.AddHostedService<LocalStreamReader>();
        }

        return services;
    }

    /// <summary>The expiry sweep, the threshold check and alert delivery, run in the process when it is long-lived (on Lambda, schedules call <c>/events</c>).</summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section);
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section);
        if (!configuration.GetValue<bool>($"{JobOptions.Section}:{nameof(JobOptions.RunInProcess)}"))
        {
            return services;
        }

        services.AddHostedService<ExpirySweeper>();
        services.AddHostedService<ThresholdChecker>();
        services.AddSingleton<AlertFeed>();
        services.AddHostedService(s => s.GetRequiredService<AlertFeed>());
        if (!string.IsNullOrEmpty(configuration[$"{AlertOptions.Section}:{nameof(AlertOptions.WebhookUrl)}"]))
        {
            services.AddHttpClient(AlertWebhook.HttpClientName);
            services.AddHostedService<AlertWebhook>();
        }

        return services;
    }

    /// <summary>API keys and their scopes, the API Gateway authorizer, per-key rate limits and CORS.</summary>
    public static IServiceCollection AddSecurity(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidation>();
        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<ApiKeyAuthorizer>();
        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorization(Policies.Add);
        RateLimits.Add(services, configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new());
        var origins = configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddDefaultPolicy(p => p
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithHeaders(ApiKeyAuthentication.HeaderName, "content-type", "if-match", "idempotency-key", "last-event-id")
            .WithExposedHeaders("etag", "retry-after", "idempotent-replayed", "location")
            // On AWS every preflight is a Lambda invocation; browsers may reuse the answer for 10 minutes.
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        return services;
    }

    /// <summary>What every endpoint shares: snake_case JSON, problem answers with a stable code, the OpenAPI document.</summary>
    public static IServiceCollection AddHttpConventions(this IServiceCollection services)
    {
        services.ConfigureHttpJsonOptions(o => JsonSetup.Apply(o.SerializerOptions));
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        services.AddSingleton<IProblemDetailsWriter, JsonProblemWriter>();
        services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
        {
            c.ProblemDetails.Status ??= c.HttpContext.Response.StatusCode;
            ProblemHandling.EnsureCode(c.ProblemDetails);
            c.ProblemDetails.Extensions["trace_id"] = RequestLog.RequestId(c.HttpContext);
            RequestLog.RecordProblem(c.HttpContext, c.ProblemDetails);
        });
        services.AddExceptionHandler<ProblemHandling>();
        services.AddOpenApi(OpenApiDocumentation.Configure);
        return services;
    }

    /// <summary>Starts DynamoDB Local when the configuration asks for it (<c>make start</c>), and points storage at it.</summary>
    public static async Task<DynamoDbLocal?> AddLocalDevelopmentAsync(this WebApplicationBuilder builder)
    {
        var local = builder.Configuration.GetSection("LocalDynamoDb");
        if (!local.GetValue<bool>("Enabled"))
        {
            return null;
        }

        // A relative data directory is taken from the project folder, wherever `dotnet run` was started.
        var dataDirectory = local.GetValue<string>("DataDirectory") is { Length: > 0 } dir
            ? Path.GetFullPath(Path.Combine(builder.Environment.ContentRootPath, dir))
            : null;
        var dynamo = await DynamoDbLocal.StartAsync(dataDirectory);
        builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.ServiceUrl)}"] = dynamo.ServiceUrl;
        builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.CreateTables)}"] = "true";
        Console.WriteLine($"DynamoDB Local is running on {dynamo.ServiceUrl} (data in {dataDirectory ?? "memory"}).");
        return dynamo;
    }

    /// <summary>A consumer of the change stream, resolvable as itself (tests, repairs) and as one of the <see cref="IChangeConsumer"/>s.</summary>
    private static void AddConsumer<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicConstructors)] T>(
        this IServiceCollection services)
        where T : class, IChangeConsumer
    {
        services.AddSingleton<T>();
        services.AddSingleton<IChangeConsumer>(s => s.GetRequiredService<T>());
    }

    private static IAmazonDynamoDB CreateDynamoClient(IServiceProvider services)
    {
        var options = services.GetRequiredService<IOptions<StorageOptions>>().Value;
        var config = new AmazonDynamoDBConfig { Timeout = TimeSpan.FromSeconds(options.RequestTimeoutSeconds), MaxErrorRetry = options.MaxErrorRetries };
        if (string.IsNullOrEmpty(options.ServiceUrl))
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region);
            return new AmazonDynamoDBClient(config);
        }

        // DynamoDB Local accepts any credentials; the region only has to be named.
        config.ServiceURL = options.ServiceUrl;
        config.AuthenticationRegion = options.Region;
        return new AmazonDynamoDBClient(new BasicAWSCredentials("local", "local"), config);
    }
}
