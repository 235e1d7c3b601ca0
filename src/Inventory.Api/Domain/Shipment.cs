namespace Inventory.Api.Domain;

/// <summary>
/// Where a shipment stands: <c>OPEN</c> while some line still brings units, <c>RECEIVED</c> once every line has
/// received at least what it expected, <c>CLOSED</c> once staff closed it (what was not received is no longer expected).
/// </summary>
public enum ShipmentStatus
{
    OPEN,
    RECEIVED,
    CLOSED,
}

/// <summary>One product expected on a shipment, into the shipment's warehouse.</summary>
/// <param name="Open">Whether the line still brings units: not yet fully received and its shipment not closed.</param>
public sealed record ShipmentLine(
    string ShipmentId,
    string SupplierReference,
    string ProductId,
    string WarehouseId,
    long ExpectedQuantity,
    long ReceivedQuantity,
    DateOnly ExpectedDate,
    bool AllowOverReceipt,
    bool Open)
{
    /// <summary>Units still expected: what an open line has not received yet; nothing once it is received in full or closed.</summary>
    public long IncomingCount => Open ? Math.Max(0, ExpectedQuantity - ReceivedQuantity) : 0;

    /// <summary>Whether a line with these counts still brings units (its shipment being open).</summary>
    public static bool StillExpected(long expected, long received) => received < expected;

    /// <summary>Whether receiving <paramref name="quantity"/> more is allowed: never past the expected quantity, unless the line says so.</summary>
    public bool Accepts(long quantity) => AllowOverReceipt || ReceivedQuantity + quantity <= ExpectedQuantity;

    /// <summary><c>OPEN</c> while it brings units, <c>RECEIVED</c> once it received what it expected, <c>CLOSED</c> if its shipment closed before that.</summary>
    public ShipmentStatus Status =>
        Open ? ShipmentStatus.OPEN : ReceivedQuantity >= ExpectedQuantity ? ShipmentStatus.RECEIVED : ShipmentStatus.CLOSED;
}

public sealed record ReceiptLine(string ProductId, long Quantity);

/// <summary>One delivery booked against a shipment: its lines raised the rows' stock and the lines' received counts together.</summary>
public sealed record Receipt(string ReceiptId, string ShipmentId, IReadOnlyList<ReceiptLine> Lines, DateTimeOffset ReceivedAt, string ReceivedBy, string Fingerprint);

/// <summary>An inbound shipment (a purchase order, an advance shipping notice) into one warehouse.</summary>
public sealed record Shipment(
    string ShipmentId,
    string SupplierReference,
    string WarehouseId,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset? ClosedAt,
    IReadOnlyList<ShipmentLine> Lines,
    IReadOnlyList<Receipt> Receipts,
    string Fingerprint)
{
    public bool Closed => ClosedAt is not null;

    public ShipmentStatus Status =>
        Closed ? ShipmentStatus.CLOSED : Lines.Any(l => l.Open) ? ShipmentStatus.OPEN : ShipmentStatus.RECEIVED;

    /// <summary>
    /// The receipt's lines that would take their shipment line past its expected quantity without the line allowing it.
    /// Every line named must be on the shipment (checked before).
    /// </summary>
    public IReadOnlyList<OverReceivedLine> OverReceived(IEnumerable<ReceiptLine> receipt) =>
        receipt.Select(r => (Line: Lines.First(l => l.ProductId == r.ProductId), r.Quantity))
            .Where(x => !x.Line.Accepts(x.Quantity))
            .Select(x => new OverReceivedLine(x.Line.ProductId, x.Line.ExpectedQuantity, x.Line.ReceivedQuantity, x.Quantity))
            .ToList();
}

/// <summary>A warehouse's units still expected from open shipments, and the earliest date one of them is expected.</summary>
public sealed record Incoming(long IncomingCount, DateOnly? NextExpectedDate)
{
    public static readonly Incoming None = new(0, null);

    /// <summary>Per warehouse, from a product's open lines.</summary>
    public static Dictionary<string, Incoming> ByWarehouse(IEnumerable<ShipmentLine> openLines) =>
        openLines.Where(l => l.IncomingCount > 0)
            .GroupBy(l => l.WarehouseId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => new Incoming(g.Sum(l => l.IncomingCount), g.Min(l => l.ExpectedDate)), StringComparer.Ordinal);
}
