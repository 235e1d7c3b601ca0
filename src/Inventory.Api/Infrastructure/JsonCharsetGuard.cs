using Microsoft.Net.Http.Headers;

namespace Inventory.Api.Infrastructure;

/// <summary>
/// JSON bodies are UTF-8 (RFC 8259). A body that declares another or an unknown charset is refused with 415
/// before anything reads it; otherwise the framework fails looking the charset up, and the client got a 500.
/// </summary>
public static class JsonCharsetGuard
{
    public static IApplicationBuilder UseJsonCharsetGuard(this IApplicationBuilder app) =>
        app.Use(async (http, next) =>
        {
            if (http.Request.ContentType is { } contentType
                && MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
                && mediaType.Charset.HasValue
                && !mediaType.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase)
                && !mediaType.Charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                http.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
                await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
                {
                    HttpContext = http,
                    ProblemDetails = ProblemHandling.Problem(415, "unsupported_media_type", "Bodies must be UTF-8 JSON.",
                        $"The charset '{mediaType.Charset}' is not accepted; send application/json (UTF-8)."),
                });
                return;
            }

            await next(http);
        });
}
