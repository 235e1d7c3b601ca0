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
using Microsoft.Extensions.Options;

namespace Inventory.Api;

/// <summary>Composition of the service, shared by Program (local and Lambda) and the tests.</summary>
public static class InventoryApp
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <param name="overrideServices">Lets tests swap a service (for example a fault-injecting DynamoDB client).</param>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<IServiceCollection>? overrideServices = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        LogFormat.Apply(builder);
        // The largest API body (a check of 100 items, an order of 49 lines) is a few kilobytes: a megabyte is ample,
        // and anything larger is refused (413) before it is read. /events raises it for Lambda's payloads.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = MaxRequestBodyBytes);
        var localDynamo = await builder.AddLocalDevelopmentAsync();
        builder.Services
            .AddStorage()
            .AddFeatures()
            .AddStream(builder.Configuration)
            .AddJobs(builder.Configuration)
            .AddSecurity(builder.Configuration)
            .AddHttpConventions();
        overrideServices?.Invoke(builder.Services);

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
        if (app.Configuration.GetValue<bool>($"{JobOptions.Section}:{nameof(JobOptions.RunInProcess)}"))
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
}
