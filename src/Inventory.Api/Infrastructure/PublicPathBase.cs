namespace Inventory.Api.Infrastructure;

/// <summary>
/// Behind API Gateway's own address the stage is the first segment of every public path (<c>/prod/products</c>) but
/// the function never sees it (<c>/products</c>). A <c>Location</c> header must name the public path, or a client
/// that follows it lands outside the API; <c>Http:PublicPathBase</c> (the stage, set by the Terraform) is put in
/// front of every service-relative one.
/// </summary>
public static class PublicPathBase
{
    public const string Setting = "Http:PublicPathBase";

    public static WebApplication UsePublicPathBase(this WebApplication app)
    {
        var pathBase = app.Configuration[Setting]?.TrimEnd('/');
        if (string.IsNullOrEmpty(pathBase))
        {
            return app;
        }

        app.Use((context, next) =>
        {
            context.Response.OnStarting(() =>
            {
                if (context.Response.Headers.Location is [{ } location] && location.StartsWith('/'))
                {
                    context.Response.Headers.Location = pathBase + location;
                }

                return Task.CompletedTask;
            });
            return next(context);
        });
        return app;
    }
}
