using Microsoft.Extensions.FileProviders;

namespace Inventory.Api.Features.Web;

/// <summary>
/// The built front end (web/dist, copied next to the binaries as ui/): the admin panel at /admin and a demo
/// product page at /demo. On AWS the same files go to S3; the service only serves them when they are present.
/// </summary>
public static class WebUi
{
    public const string RequestPath = "/ui";

    /// <summary>
    /// The admin panel holds an admin key, so injected script must not run, no other site may frame it, and it may
    /// connect to this service only: served from here, the API is here (the panel takes another API through ?api=
    /// only when hosted elsewhere, under that host's policy). Styles are inline in the page.
    /// </summary>
    private const string AdminPanelPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

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
                if (context.File.Name == "admin-panel.html")
                {
                    context.Context.Response.Headers.ContentSecurityPolicy = AdminPanelPolicy;
                }
            },
        });
        app.MapGet("/admin", () => TypedResults.Redirect($"{RequestPath}/admin-panel.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/demo", (HttpContext http) => TypedResults.Redirect($"{RequestPath}/demo.html{http.Request.QueryString}"))
            .AllowAnonymous().ExcludeFromDescription();
        return app;
    }
}
