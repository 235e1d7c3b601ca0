using Microsoft.Extensions.FileProviders;

namespace Inventory.Api.Features.Web;

/// <summary>
/// The built front end (web/dist, copied next to the binaries as ui/): the admin panel at /admin and a demo
/// product page at /demo. On AWS the same files go to S3; the service only serves them when they are present.
/// </summary>
public static class WebUi
{
    public const string RequestPath = "/ui";

    private static string Root => Path.Combine(AppContext.BaseDirectory, "ui");

    public static WebApplication UseWebUi(this WebApplication app)
    {
        if (!Directory.Exists(Root))
        {
            app.Logger.LogInformation("No built front end at {Root}; /admin and /demo are off (run `make web`)", Root);
            return app;
        }

        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = new PhysicalFileProvider(Root),
            RequestPath = RequestPath,
            OnPrepareResponse = context =>
            {
                // Files are not fingerprinted, so a browser must check for a newer build each time.
                context.Context.Response.Headers.CacheControl = "no-cache";
                context.Context.Response.Headers.XContentTypeOptions = "nosniff";
            },
        });
        app.MapGet("/admin", () => TypedResults.Redirect($"{RequestPath}/admin-panel.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/demo", (HttpContext http) => TypedResults.Redirect($"{RequestPath}/demo.html{http.Request.QueryString}"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
