namespace Inventory.Api.Infrastructure;

/// <summary>
/// Every bound on trying a step again, named, in one place (configuration section <c>Attempts</c>). Each budget ends a
/// loop that re-reads and tries again because something moved between a read and a write; when it runs out the step
/// answers (busy, or what it found), so a row that keeps changing hands still gets an answer. DynamoDB's own
/// turn-aways (a transaction conflict, throttling) have their budget in <c>Storage:MaxWriteAttempts</c>.
/// </summary>
public sealed class AttemptOptions
{
    public const string Section = "Attempts";

    /// <summary>A hold or a sale that chose its warehouse (or met a hold that changed state) chooses again this many times before answering "short".</summary>
    public int WarehouseChoice { get; set; } = 3;

    /// <summary>A hold on a spread row goes round its sub-rows again this many times while the row as a whole has its units.</summary>
    public int HotRowRounds { get; set; } = 3;

    /// <summary>A move of units between a hot row's sub-rows (rebalance, gather) is tried this many times.</summary>
    public int SubRowMoves { get; set; } = 4;

    /// <summary>A stored status (and its alert) is written again this many times if the status moved between its read and its write.</summary>
    public int StatusSettle { get; set; } = 5;

    /// <summary>A row's sales counter or cover item is written again this many times if another consumer wrote it meanwhile.</summary>
    public int CoverWrite { get; set; } = 5;

    /// <summary>An overwriting import line re-reads a row whose version moved this many times.</summary>
    public int ImportOverwrite { get; set; } = 5;

    /// <summary>A receipt re-reads its shipment lines this many times when other receipts of the same lines commit first.</summary>
    public int ShipmentReceipt { get; set; } = 16;

    /// <summary>A key revocation re-reads the keys this many times when another revocation races it (the last admin key stays).</summary>
    public int KeyRevocation { get; set; } = 5;
}
