namespace Inventory.Api.Infrastructure;

/// <summary>
/// Readable console lines locally; one JSON object per line on Lambda (where AWS_LAMBDA_FUNCTION_NAME is set) or
/// whenever <c>Logging:Format</c> is <c>json</c>, so CloudWatch Logs Insights can filter on each field.
/// </summary>
public static class LogFormat
{
    public static void Apply(WebApplicationBuilder builder)
    {
        var format = builder.Configuration["Logging:Format"]
            ?? (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("AWS_LAMBDA_FUNCTION_NAME")) ? "text" : "json");
        if (!string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.IncludeScopes = false;
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
    }
}
