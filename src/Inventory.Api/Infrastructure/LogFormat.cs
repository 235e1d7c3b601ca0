using System.Buffers;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging.Console;

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
            EscapeConsoleText(builder.Services);
            return;
        }

        // JSON escapes control characters in every value itself.
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            o.IncludeScopes = false;
            o.JsonWriterOptions = new System.Text.Json.JsonWriterOptions { Indented = false };
        });
    }

    /// <summary>
    /// Puts <see cref="EscapingConsoleLoggerProvider"/> in place of the console provider, which stays the one that
    /// formats and writes (same layout, colours and settings).
    /// </summary>
    private static void EscapeConsoleText(IServiceCollection services)
    {
        var console = services.Single(d => d.ServiceType == typeof(ILoggerProvider) && d.ImplementationType == typeof(ConsoleLoggerProvider));
        services.Remove(console);
        services.AddSingleton<ConsoleLoggerProvider>();
        services.AddSingleton<ILoggerProvider, EscapingConsoleLoggerProvider>();
    }
}

/// <summary>
/// Text that cannot end or rewrite a log line: control characters (C0, DEL, C1) and the Unicode line and paragraph
/// separators are written as <c>\r</c>, <c>\n</c>, <c>\t</c> or <c>\uXXXX</c>.
/// </summary>
public static class LogText
{
    private static readonly SearchValues<char> Unsafe = SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), .. Enumerable.Range(0x7F, 0x21).Select(c => (char)c), '\u2028', '\u2029']);

    public static string Escape(string text)
    {
        var next = text.AsSpan().IndexOfAny(Unsafe);
        if (next < 0)
        {
            return text;
        }

        var escaped = new StringBuilder(text.Length + 16).Append(text, 0, next);
        foreach (var c in text.AsSpan(next))
        {
            _ = c switch
            {
                '\r' => escaped.Append(@"\r"),
                '\n' => escaped.Append(@"\n"),
                '\t' => escaped.Append(@"\t"),
                _ when Unsafe.Contains(c) => escaped.Append(@"\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
                _ => escaped.Append(c),
            };
        }

        return escaped.ToString();
    }
}

/// <summary>
/// The console logger with every message escaped by <see cref="LogText"/> before it is formatted into a line. A message
/// carries values taken from requests before anything checked them (the product id in a refused write's path, a
/// request id from a header), and a raw CR or LF in one would start a line that reads as the service's own.
/// Exceptions are left alone: the console formatter indents their lines under the message.
/// </summary>
[ProviderAlias("Console")]
internal sealed class EscapingConsoleLoggerProvider(ConsoleLoggerProvider console) : ILoggerProvider, ISupportExternalScope
{
    public ILogger CreateLogger(string categoryName) => new EscapingLogger(console.CreateLogger(categoryName));

    public void SetScopeProvider(IExternalScopeProvider scopeProvider) => console.SetScopeProvider(scopeProvider);

    public void Dispose()
    {
        // The container owns the console provider and disposes it.
    }

    private sealed class EscapingLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            inner.Log(logLevel, eventId, state, exception, (s, e) => LogText.Escape(formatter(s, e)));
    }
}
