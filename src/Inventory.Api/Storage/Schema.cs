using System.Globalization;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Inventory.Api.Security;

namespace Inventory.Api.Storage;

/// <summary>Every DynamoDB attribute and index name the service uses, in one place.</summary>
internal static class Attr
{
    public const string ProductId = "product_id";
    public const string WarehouseId = "warehouse_id";
    public const string StockCount = "stock_count";
    public const string ReservedCount = "reserved_count";
    public const string AvailableCount = "available_count";
    public const string ThresholdLevel = "threshold_level";
    public const string Status = "status";
    public const string Category = "category";
    public const string LastUpdated = "last_updated";
    public const string Version = "version";

    /// <summary>When the stored status last changed: each transition's alert is stamped after the previous one.</summary>
    public const string StatusChangedAt = "status_changed_at";

    /// <summary>
    /// The change-stream sequence number (zero-padded, so text order is number order) of the change whose status the
    /// row stores: a redelivered or older change record never writes the status again.
    /// </summary>
    public const string StatusSequence = "status_sequence";

    /// <summary>
    /// A new value at each repair of the threshold check (which knows no sequence number). A change record whose image
    /// does not carry the row's current value was written before that repair, which already stored where it leads.
    /// </summary>
    public const string StatusRepair = "status_repair";

    /// <summary>
    /// How many times the row's counts have changed (1 at its creation): every count-changing write adds one. It numbers
    /// the row's history entries, so their order is the order of the changes and a gap is a missing entry.
    /// </summary>
    public const string MoveSequence = "move_seq";

    /// <summary>On a hot row (sub-row 0): over how many sub-rows its units are spread (absent: 1).</summary>
    public const string SubRowCount = "sub_rows";

    /// <summary>
    /// On a row ever spread: every number of sub-rows it has been spread over (a number set, never removed), so its
    /// history is read from every sub-row that ever had one, after a fold as well.
    /// </summary>
    public const string SubRowsEver = "sub_rows_ever";

    /// <summary>On a hot row: when units were last gathered on sub-row 0 for a write that needed them there.</summary>
    public const string GatheredAt = "gathered_at";

    /// <summary>On a hot row: being folded back into one row (new holds take from sub-row 0 only).</summary>
    public const string Folding = "folding";

    /// <summary>
    /// On a row just marked hot: the holds it had before are being given claims, so units are not spread to the other
    /// sub-rows yet (a replay of such a hold landing there would hold it twice).
    /// </summary>
    public const string ClaimingHolds = "claiming_holds";

    /// <summary>On a hot row (and only there): the constant key of the sparse index that lists the hot rows.</summary>
    public const string HotListing = "hot";

    /// <summary>On a sub-row: the product whose row it is part of (scans of the table skip such items).</summary>
    public const string SubRowOf = "sub_row_of";

    /// <summary>
    /// On the records of a hot row's holds: the stored product key of the sub-row whose units the hold took. A claim item
    /// (keyed by product and reservation id) carries it, so a hold on a sub-row is found, and held once, by its id alone.
    /// </summary>
    public const string HeldOn = "held_on";

    /// <summary>Why the row's counts last changed (a map of kind, by, reason, ref), for the change stream to carry into the history.</summary>
    public const string LastMove = "last_move";
    public const string MoveKind = "kind";
    public const string MovedBy = "by";
    public const string MoveReason = "reason";
    public const string MoveReference = "ref";

    /// <summary>A history entry's sort key: the warehouse and the row's zero-padded move number, so one row's entries are contiguous and in order.</summary>
    public const string MoveKey = "move_key";
    public const string EntryKind = "kind";
    public const string EntryBy = "moved_by";
    public const string EntryReason = "reason";
    public const string EntryReference = "reference";
    public const string EntryAt = "at";
    public const string StockBefore = "stock_before";
    public const string ReservedBefore = "reserved_before";
    public const string AvailableBefore = "available_before";
    public const string ThresholdBefore = "threshold_before";
    public const string StockAfter = "stock_after";
    public const string ReservedAfter = "reserved_after";
    public const string AvailableAfter = "available_after";
    public const string ThresholdAfter = "threshold_after";

    /// <summary>The last change-stream record the local stream reader has handled, per shard.</summary>
    public const string SequenceNumber = "sequence_number";

    public const string ReservationId = "reservation_id";
    public const string Quantity = "quantity";
    public const string CreatedAt = "created_at";
    public const string UpdatedAt = "updated_at";
    public const string ExpiresAt = "expires_at";
    public const string FinishedAt = "finished_at";
    public const string ReservationExpiry = "reservation_expiry";
    public const string Fingerprint = "request_fingerprint";

    /// <summary>The public id of the API key that made a hold (absent for holds made from the order queue).</summary>
    public const string HeldBy = "held_by";

    /// <summary>Set only while a reservation is ACTIVE, so the expiry index holds active holds and nothing else.</summary>
    public const string ActiveShard = "active_shard";
    public const string ExpiresAtEpoch = "expires_at_epoch";

    public const string Sku = "sku";
    public const string Name = "name";
    public const string Description = "description";
    public const string Price = "price";
    public const string ImageUrl = "image_url";

    /// <summary>Product search index: the partition (a term's first characters), and the term with the sku after it.</summary>
    public const string SearchPrefix = "search_prefix";
    public const string SearchTerm = "search_term";

    /// <summary>Every search term of the product, space-separated, on each of its index items: AND and de-duplication need no read.</summary>
    public const string Terms = "terms";

    public const string AlertStream = "alert_stream";
    public const string AlertSortKey = "alert_key";
    public const string AlertId = "alert_id";
    public const string RecordType = "record_type";
    public const string OldStatus = "old_status";
    public const string NewStatus = "new_status";
    public const string Message = "message";

    /// <summary>On an alert: the name of the admin key that acknowledged it, and when (the first acknowledgement stands).</summary>
    public const string AcknowledgedBy = "acknowledged_by";
    public const string AcknowledgedAt = "acknowledged_at";

    public const string OrderId = "order_id";
    public const string CustomerId = "customer_id";
    public const string Outcome = "outcome";
    public const string OutcomeEvent = "outcome_event";

    public const string KeyId = "key_id";
    public const string KeyHash = "key_hash";
    public const string Scope = "scope";
    public const string RevokedAt = "revoked_at";

    /// <summary>
    /// Days of cover (<c>inventory-velocity</c>): the sort key of a row's daily sales counters (<c>day#&lt;warehouse&gt;#&lt;date&gt;</c>)
    /// and of its cover state (<c>cover#&lt;warehouse&gt;</c>), under the product's partition.
    /// </summary>
    public const string VelocityKey = "velocity_key";
    public const string UnitsSold = "units_sold";

    /// <summary>The highest move number counted into a daily counter, or evaluated into a cover state: a replay counts nothing twice.</summary>
    public const string LastMoveSequence = "last_move_seq";
    public const string Sold7Days = "sold_7d";
    public const string Sold28Days = "sold_28d";
    public const string Velocity7Days = "velocity_7d";
    public const string Velocity28Days = "velocity_28d";
    public const string DaysOfCover = "days_of_cover";
    public const string LeadTimeDays = "lead_time_days";
    public const string RunsOutSoon = "runs_out_soon";
    public const string ComputedAt = "computed_at";
    public const string AlertType = "alert_type";

    /// <summary>The sparse cover index: one partition value for every row with a velocity, sorted by zero-padded days of cover.</summary>
    public const string CoverList = "cover_list";
    public const string CoverRank = "cover_rank";

    public const string IdempotencyKey = "idempotency_key";
    public const string Result = "result";
    public const string Ttl = "ttl";

    // Inbound shipments (ShipmentCommands): one table, two kinds of partition. A product's partition (its id) holds one
    // line item per shipment that brings it; a shipment's partition ("shipment#<id>": ids never contain '#') holds the
    // shipment item and one item per receipt.
    public const string PartitionKey = "partition_key";
    public const string ItemKey = "item_key";

    /// <summary>On a shipment line only while it still brings units (<c>expected_date#shipment_id</c>): the sparse open-lines index's sort key.</summary>
    public const string OpenKey = "open_key";
    public const string ShipmentId = "shipment_id";
    public const string SupplierReference = "supplier_reference";
    public const string ExpectedQuantity = "expected_quantity";
    public const string ReceivedQuantity = "received_quantity";
    public const string ExpectedDate = "expected_date";
    public const string AllowOverReceipt = "allow_over_receipt";
    public const string ShipmentLines = "lines";
    public const string ReceiptId = "receipt_id";
    public const string CreatedBy = "created_by";
    public const string ClosedAt = "closed_at";
    public const string ClosedBy = "closed_by";
    public const string LastReceivedAt = "last_received_at";
}

internal static class Indexes
{
    public const string Category = "category-index";
    public const string Status = "status-index";
    public const string ActiveExpiry = "active-expiry-index";
    public const string Cover = "cover-index";

    /// <summary>The hot rows (sparse: only they carry <see cref="Attr.HotListing"/>), with their spread, for the hold path's directory.</summary>
    public const string HotRows = "hot-index";

    /// <summary>The one value of <see cref="Attr.HotListing"/>.</summary>
    public const string HotListingValue = "HOT";

    /// <summary>Active holds are spread over this many index partitions so no single one runs hot.</summary>
    public const int ActiveShards = 16;

    /// <summary>The shipments table's sparse local index of open lines: a product's incoming units are one strongly consistent Query.</summary>
    public const string OpenLines = "open-lines-index";
}

/// <summary>Conversions between DynamoDB items and domain records.</summary>
internal static class Items
{
    public static AttributeValue S(string value) => new() { S = value };

    public static AttributeValue N(long value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue N(decimal value) => new() { N = value.ToString(CultureInfo.InvariantCulture) };

    public static AttributeValue Time(DateTimeOffset value) => S(FormatTime(value));

    public static string FormatTime(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static Dictionary<string, AttributeValue> InventoryKey(string productId, string warehouseId) => new()
    {
        [Attr.ProductId] = S(productId),
        [Attr.WarehouseId] = S(warehouseId),
    };

    public static Dictionary<string, AttributeValue> ReservationKey(string productId, string reservationId) => new()
    {
        [Attr.ProductId] = S(productId),
        [Attr.ReservationId] = S(reservationId),
    };

    /// <summary>
    /// The key of a hot row's hold claim: one item per (product, reservation id), in its own partition so claims spread
    /// like the sub-rows. '!' never occurs in a product id, so it cannot meet a reservation record's key.
    /// </summary>
    public static Dictionary<string, AttributeValue> HoldClaimKey(string productId, string reservationId) => new()
    {
        [Attr.ProductId] = S($"{productId}!{reservationId}"),
        [Attr.ReservationId] = S(reservationId),
    };

    public static Dictionary<string, AttributeValue> ProductKey(string sku) => new() { [Attr.Sku] = S(sku) };

    public static Dictionary<string, AttributeValue> IdempotencyKey(string key) => new() { [Attr.IdempotencyKey] = S(key) };

    public static InventoryRow ToRow(Dictionary<string, AttributeValue> item) => new(
        ProductId: Str(item, Attr.ProductId)!,
        WarehouseId: Str(item, Attr.WarehouseId)!,
        StockCount: Long(item, Attr.StockCount),
        ReservedCount: Long(item, Attr.ReservedCount),
        AvailableCount: Long(item, Attr.AvailableCount),
        ThresholdLevel: Long(item, Attr.ThresholdLevel),
        StoredStatus: StoredStatus(Str(item, Attr.Status)),
        Category: Str(item, Attr.Category),
        LastUpdated: Timestamp(item, Attr.LastUpdated),
        Version: Long(item, Attr.Version),
        MoveSequence: Long(item, Attr.MoveSequence),
        SubRowCount: (int)Math.Max(1, Long(item, Attr.SubRowCount)),
        SubRowsEver: item.TryGetValue(Attr.SubRowsEver, out var ever) && ever.NS is { Count: > 0 } counts
            ? counts.Max(c => int.Parse(c, CultureInfo.InvariantCulture))
            : 1,
        Folding: item.TryGetValue(Attr.Folding, out var folding) && folding.BOOL == true,
        ClaimingHolds: item.TryGetValue(Attr.ClaimingHolds, out var claiming) && claiming.BOOL == true,
        GatheredAt: item.ContainsKey(Attr.GatheredAt) ? Timestamp(item, Attr.GatheredAt) : DateTimeOffset.MinValue);

    /// <summary>
    /// The stored status only if it is exactly one of the names the listings query by: Enum.TryParse would also take
    /// "1" or "LOW_STOCK " for LOW_STOCK, and such a row would never be put right nor listed.
    /// </summary>
    private static StockStatus? StoredStatus(string? text) =>
        text is not null && Enum.TryParse<StockStatus>(text, out var status) && status.ToString() == text ? status : null;

    /// <summary>A hold's record; one kept under a hot row's sub-row names its product, and the sub-row in <see cref="Reservation.HeldOn"/>.</summary>
    public static Reservation ToReservation(Dictionary<string, AttributeValue> item) => new(
        ProductId: SubRows.ProductOf(Str(item, Attr.ProductId)!),
        ReservationId: Str(item, Attr.ReservationId)!,
        WarehouseId: Str(item, Attr.WarehouseId)!,
        Quantity: Long(item, Attr.Quantity),
        Status: Enum.Parse<ReservationStatus>(Str(item, Attr.Status)!),
        CreatedAt: Timestamp(item, Attr.CreatedAt),
        ExpiresAt: Timestamp(item, Attr.ExpiresAt),
        RequestFingerprint: Str(item, Attr.Fingerprint) ?? string.Empty,
        FinishedAt: item.ContainsKey(Attr.FinishedAt) ? Timestamp(item, Attr.FinishedAt) : null,
        HeldBy: Str(item, Attr.HeldBy),
        HeldOn: SubRows.IsSubRow(Str(item, Attr.ProductId)!) ? Str(item, Attr.ProductId) : null);

    public static Product ToProduct(Dictionary<string, AttributeValue> item) => new(
        Sku: Str(item, Attr.Sku)!,
        Name: Str(item, Attr.Name)!,
        Description: Str(item, Attr.Description),
        Price: decimal.Parse(item[Attr.Price].N, CultureInfo.InvariantCulture),
        ImageUrl: Str(item, Attr.ImageUrl),
        Category: Str(item, Attr.Category),
        CreatedAt: Timestamp(item, Attr.CreatedAt),
        UpdatedAt: Timestamp(item, Attr.UpdatedAt),
        LeadTimeDays: item.ContainsKey(Attr.LeadTimeDays) ? (int)Long(item, Attr.LeadTimeDays) : null);

    public static ApiKeyRecord ToApiKey(Dictionary<string, AttributeValue> item) => new(
        KeyId: Str(item, Attr.KeyId)!,
        KeyHash: Str(item, Attr.KeyHash)!,
        Name: Str(item, Attr.Name)!,
        Scope: Scopes.TryParse(Str(item, Attr.Scope), out var scope) ? scope : null,
        CreatedAt: Timestamp(item, Attr.CreatedAt),
        RevokedAt: item.ContainsKey(Attr.RevokedAt) ? Timestamp(item, Attr.RevokedAt) : null);

    public static string? Str(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) ? value.S : null;

    public static long Long(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is not null
            ? long.Parse(value.N, CultureInfo.InvariantCulture)
            : 0;

    public static decimal? Decimal(Dictionary<string, AttributeValue> item, string name) =>
        item.TryGetValue(name, out var value) && value.N is not null ? decimal.Parse(value.N, NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    public static DateTimeOffset Timestamp(Dictionary<string, AttributeValue> item, string name) =>
        Str(item, name) is { } text
            ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal)
            : DateTimeOffset.UnixEpoch;
}
