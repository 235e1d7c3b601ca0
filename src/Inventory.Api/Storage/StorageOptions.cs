namespace Inventory.Api.Storage;

/// <summary>Where the data lives. Every table name is configurable so each environment (and each test) can have its own.</summary>
public sealed class StorageOptions
{
    public const string Section = "Storage";

    public string InventoryTable { get; set; } = "inventory-management";

    public string ReservationsTable { get; set; } = "inventory-reservations";

    public string ProductsTable { get; set; } = "inventory-products";

    /// <summary>
    /// The product search index: one item per search term of a product's name and sku, written in the product's
    /// creating transaction (<see cref="ProductSearchIndex"/>).
    /// </summary>
    public string ProductSearchTable { get; set; } = "inventory-product-search";

    /// <summary>
    /// At start, index the whole catalogue when the search index is empty (a catalogue from before the index). Local runs
    /// and tests do it whenever they create tables; on AWS it is a one-off run (docs/deploy.md).
    /// </summary>
    public bool BackfillSearchIndex { get; set; }

    /// <summary>Idempotency keys of HTTP requests (and fulfilled orders), kept for <see cref="IdempotencyRetentionHours"/>.</summary>
    public string IdempotencyTable { get; set; } = "inventory-idempotency";

    /// <summary>
    /// ReserveInventory messages already handled, keyed by order id, each with the outcome event it produced
    /// (the order-result outbox a Pipe forwards to the order service). Kept for <see cref="IdempotencyRetentionHours"/>.
    /// </summary>
    public string ProcessedOrdersTable { get; set; } = "inventory-processed-orders";

    /// <summary>Stock status transitions (low-stock alerts), written with the change that caused them; kept <see cref="AlertRetentionDays"/>.</summary>
    public string AlertsTable { get; set; } = "inventory-alerts";

    public int AlertRetentionDays { get; set; } = 30;

    /// <summary>
    /// The stock history: one entry per change of a row's counts, written from the stock table's change stream; kept
    /// <see cref="HistoryOptions.RetentionDays"/>.
    /// </summary>
    public string HistoryTable { get; set; } = "inventory-history";

    /// <summary>
    /// Days of cover: per-row daily sales counters and each row's cover state, written from the stock table's change
    /// stream (the cover projection); counters expire 35 days after their day.
    /// </summary>
    public string VelocityTable { get; set; } = "inventory-velocity";

    /// <summary>
    /// Inbound shipments (purchase orders): their lines, keyed by product so a product's open lines are one Query of a
    /// sparse local index, and each shipment with its receipts (<see cref="ShipmentCommands"/>).
    /// </summary>
    public string ShipmentsTable { get; set; } = "inventory-shipments";

    /// <summary>
    /// Hashed API key records (created, listed and revoked through /admin/keys, read by the authorizer). Empty: no
    /// table, and the keys in configuration are the only keys.
    /// </summary>
    public string? ApiKeysTable { get; set; }

    /// <summary>DynamoDB endpoint override (DynamoDB Local); empty on AWS, where the region's endpoint is used.</summary>
    public string? ServiceUrl { get; set; }

    /// <summary>On Lambda the function's own region (AWS_REGION); locally any name will do.</summary>
    public string Region { get; set; } = Environment.GetEnvironmentVariable("AWS_REGION") is { Length: > 0 } region ? region : "us-east-1";

    /// <summary>Create missing tables at start-up. For local runs and tests only: on AWS, Terraform owns the tables.</summary>
    public bool CreateTables { get; set; }

    /// <summary>How often a write that collided with another (TransactionConflict) or was throttled is tried in all.</summary>
    public int MaxWriteAttempts { get; set; } = 8;

    /// <summary>How long one DynamoDB call may take before it is abandoned (and retried by the SDK).</summary>
    public double RequestTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// How often the SDK retries a DynamoDB call that timed out or failed in passing. On Lambda, (retries + 1) times
    /// the timeout stays below the function's timeout, so a caller gets the service's 503 rather than a killed function.
    /// </summary>
    public int MaxErrorRetries { get; set; } = 3;

    /// <summary>
    /// The threshold check repairs the stored status of a row only once the row has been unchanged this long: a busy
    /// row's status is the change stream's to write, and the stream is about a second behind at most.
    /// </summary>
    public double StatusRepairQuietSeconds { get; set; } = 60;

    public int IdempotencyRetentionHours { get; set; } = 72;

    /// <summary>Finished reservation records stay this long after they expire (for replays and audit), then TTL deletes them.</summary>
    public int ReservationRetentionHours { get; set; } = 72;
}
