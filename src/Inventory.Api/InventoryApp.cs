using Amazon;
using Amazon.DynamoDBv2;
using Amazon.Runtime;
using Inventory.Api.Features;
using Inventory.Api.Features.Admin;
using Inventory.Api.Features.Alerts;
using Inventory.Api.Features.Events;
using Inventory.Api.Features.Exports;
using Inventory.Api.Features.Fulfilment;
using Inventory.Api.Features.Health;
using Inventory.Api.Features.History;
using Inventory.Api.Features.HotProducts;
using Inventory.Api.Features.Imports;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Features.Jobs;
using Inventory.Api.Features.Keys;
using Inventory.Api.Features.Products;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Features.Shipments;
using Inventory.Api.Features.Web;
using Inventory.Api.Infrastructure;
using Inventory.Api.Local;
using Inventory.Api.Security;
using Inventory.Api.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Inventory.Api;

/// <summary>Composition of the service, shared by Program (local and Lambda) and the tests.</summary>
public static class InventoryApp
{
    /// <param name="overrideServices">Lets tests swap a service (for example a fault-injecting DynamoDB client).</param>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    public static async Task<WebApplication> BuildAsync(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        LogFormat.Apply(builder);
        // The largest API body (a check of 100 items, an order of 49 lines) is a few kilobytes: a megabyte is ample,
        // and anything larger is refused (413) before it is read. /events raises it for Lambda's payloads.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        var localDynamo = await StartLocalDynamoDbIfAskedAsync(builder);

        var services = builder.Services;
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section);
        services.AddOptions<InventoryOptions>().BindConfiguration(InventoryOptions.Section);
        services.AddOptions<HistoryOptions>().BindConfiguration(HistoryOptions.Section);
        services.AddOptions<ApiKeyOptions>().BindConfiguration(ApiKeyOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidation>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(CreateDynamoClient);
        services.AddSingleton<Writes>();
        services.AddSingleton<IdempotencyRecords>();
        services.AddSingleton<StockRows>();
        services.AddSingleton<HotRows>();
        services.AddSingleton<StatusTransitions>();
        services.AddSingleton<StockHistory>();
        services.AddSingleton<CoverTracker>();
        services.AddSingleton<StockChangeHandler>();
        services.AddSingleton<StreamCheckpoints>();
        services.AddSingleton<ReservationRecords>();
        services.AddSingleton<HoldExpiry>();
        services.AddSingleton<SalesStore>();
        services.AddSingleton<InventoryStore>();
        services.AddSingleton<ReservationStore>();
        services.AddSingleton<TransferStore>();
        services.AddSingleton<ShipmentStore>();
        services.AddSingleton<ProductSearchIndex>();
        services.AddSingleton<ProductStore>();
        services.AddSingleton<ProcessedOrders>();
        services.AddSingleton<ReserveInventoryHandler>();
        services.AddSingleton<InvariantChecker>();
        services.AddSingleton<TableProvisioner>();
        services.AddSingleton<DeliveryCursors>();
        services.AddSingleton<ApiKeyStore>();
        services.AddSingleton<ApiKeyRegistry>();
        services.AddSingleton<ApiKeyAuthorizer>();
        services.AddSingleton<WebAdapterEnvironment>();
        services.AddOptions<ImportOptions>().BindConfiguration(ImportOptions.Section);
        services.AddOptions<ExportOptions>().BindConfiguration(ExportOptions.Section);
        services.AddSingleton<ImportWrites>();
        services.AddSingleton<StockImporter>();
        services.AddOptions<JobOptions>().BindConfiguration(JobOptions.Section);
        services.AddOptions<AlertOptions>().BindConfiguration(AlertOptions.Section);
        var runJobsInProcess = builder.Configuration.GetValue<bool>($"{JobOptions.Section}:{nameof(JobOptions.RunInProcess)}");
        if (runJobsInProcess)
        {
            services.AddHostedService<ExpirySweeper>();
            services.AddHostedService<ThresholdChecker>();
            services.AddSingleton<AlertFeed>();
            services.AddHostedService(s => s.GetRequiredService<AlertFeed>());
            if (!string.IsNullOrEmpty(builder.Configuration[$"{AlertOptions.Section}:{nameof(AlertOptions.WebhookUrl)}"]))
            {
                services.AddHttpClient(AlertWebhook.HttpClientName);
                services.AddHostedService<AlertWebhook>();
            }
        }

        // On AWS the stream function's event source mapping feeds the same handler instead.
        if (!string.IsNullOrEmpty(builder.Configuration[$"{StorageOptions.Section}:{nameof(StorageOptions.ServiceUrl)}"])
            && builder.Configuration.GetValue($"{JobOptions.Section}:{nameof(JobOptions.ReadStreamInProcess)}", defaultValue: true))
        {
            services.AddHostedService<StatusStreamReader>();
        }

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

        services.AddAuthentication(ApiKeyAuthentication.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthentication>(ApiKeyAuthentication.SchemeName, null);
        services.AddAuthorization(Policies.Add);
        RateLimits.Add(services, builder.Configuration.GetSection(RateLimitOptions.Section).Get<RateLimitOptions>() ?? new());
        var origins = builder.Configuration.GetSection("Cors:AllowedOrigins").Get<string[]>() ?? [];
        services.AddCors(o => o.AddDefaultPolicy(p => p
            .WithOrigins(origins)
            .WithMethods("GET", "POST", "PUT", "DELETE")
            .WithHeaders(ApiKeyAuthentication.HeaderName, "content-type", "if-match", "idempotency-key", "last-event-id")
            .WithExposedHeaders("etag", "retry-after", "idempotent-replayed", "location")
            // On AWS every preflight is a Lambda invocation; browsers may reuse the answer for 10 minutes.
            .SetPreflightMaxAge(TimeSpan.FromMinutes(10))));
        services.AddOpenApi(OpenApiDocumentation.Configure);

        overrideServices?.Invoke(services);

        var app = builder.Build();
        if (localDynamo is not null)
        {
            app.Lifetime.ApplicationStopped.Register(localDynamo.Dispose);
        }

        app.UseRequestLog();
        app.UsePublicPathBase();
        app.UseExceptionHandler();
        app.UseJsonCharsetGuard();
        app.UseStatusCodePages();
        app.UseCors();
        app.UseWebUi();
        app.UseAuthentication();
        app.UseRateLimiter();
        app.UseAuthorization();

        app.MapOpenApi("/openapi/v1.json").AllowAnonymous();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "Inventory API v1");
            o.RoutePrefix = "docs";
            o.DocumentTitle = "Inventory API";
        });

        app.MapHealthApi();
        app.MapInventoryApi();
        app.MapTransfersApi();
        app.MapShipmentsApi();
        app.MapHistoryApi();
        app.MapHotProductsApi();
        app.MapReservationsApi();
        app.MapFulfilmentApi();
        app.MapProductsApi();
        app.MapAdminApi();
        app.MapKeysApi();
        app.MapImportsApi();
        app.MapExportsApi();
        if (runJobsInProcess)
        {
            // The live feed needs a long-lived process; on Lambda alerts leave through the stream and SNS instead.
            app.MapAlertStreamApi();
        }

        app.MapEventsApi();
        return app;
    }

    /// <summary>Creates missing tables, seeds configured keys into the key table and adds the demo data (each when configured), before traffic arrives.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken ct = default)
    {
        if (app.Services.GetRequiredService<IOptions<StorageOptions>>().Value.CreateTables)
        {
            await app.Services.GetRequiredService<TableProvisioner>().EnsureTablesAsync(ct);
        }

        // A catalogue from before the search index (a local data directory kept across versions): index it once.
        var storage = app.Services.GetRequiredService<IOptions<StorageOptions>>().Value;
        if (storage.CreateTables || storage.BackfillSearchIndex)
        {
            var search = app.Services.GetRequiredService<ProductSearchIndex>();
            if (await search.IsEmptyAsync(ct))
            {
                await search.BackfillAsync(ct);
            }
        }

        await app.Services.GetRequiredService<ApiKeyRegistry>().SeedConfiguredKeysAsync(ct);
        if (app.Configuration.GetValue<bool>("Demo:Seed"))
        {
            await DemoData.SeedAsync(app.Services, ct);
        }
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

    private static async Task<DynamoDbLocal?> StartLocalDynamoDbIfAskedAsync(WebApplicationBuilder builder)
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
}
