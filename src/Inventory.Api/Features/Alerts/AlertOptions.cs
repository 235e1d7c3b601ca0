namespace Inventory.Api.Features.Alerts;

/// <summary>Local alert delivery. On AWS, alert records reach SNS through DynamoDB Streams and a Pipe instead.</summary>
public sealed class AlertOptions
{
    public const string Section = "Alerts";

    /// <summary>How often the live feed and the webhook look for new alert records.</summary>
    public double PollIntervalSeconds { get; set; } = 1;

    /// <summary>POST every alert here (JSON, at least once, Idempotency-Key = alert id). Empty: no webhook.</summary>
    public string? WebhookUrl { get; set; }

    /// <summary>First wait after a failed delivery; it doubles on every failure up to <see cref="WebhookRetryMaxSeconds"/>.</summary>
    public double WebhookRetryBaseSeconds { get; set; } = 1;

    public double WebhookRetryMaxSeconds { get; set; } = 60;

    /// <summary>How long one delivery attempt may take.</summary>
    public double WebhookTimeoutSeconds { get; set; } = 10;
}
