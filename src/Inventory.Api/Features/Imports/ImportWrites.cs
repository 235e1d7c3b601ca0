using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;
using Inventory.Api.Storage;
using Inventory.Api.Infrastructure;

namespace Inventory.Api.Features.Imports;

/// <summary>What an import line's idempotency record remembers: which change it made.</summary>
/// <summary>How writing one import line ended; <c>Row</c> is the row as the refusal found it, when there is one.</summary>
public sealed record ImportWriteResult(ImportOutcome Outcome, ImportError? Error = null, InventoryRow? Row = null);

/// <summary>
/// The reads and writes of a stock import. Reads come a chunk at a time (batch gets of the rows, the products and the
/// lines' idempotency records). Each line is one transaction through <see cref="StockRows"/> (a SET or an ADJUSTMENT
/// with the line's reference) together with the line's idempotency record, so "the line changed the row" and "the
/// line is done" never disagree and a second apply of the file writes nothing.
/// </summary>
public sealed class ImportWrites(
    IAmazonDynamoDB dynamo, Writes writes, StockRows rows, HotRows hot, IdempotencyRecords idempotency, IOptions<StorageOptions> options,
    IOptions<AttemptOptions> attempts, TimeProvider clock)
{
    private readonly int overwriteAttempts = attempts.Value.ImportOverwrite;

    private readonly StorageOptions storage = options.Value;

    /// <summary>The idempotency record key of one line of one import.</summary>
    public static string KeyOf(string importId, int line) =>
        IdempotencyRecords.KeyOf("import", importId, line.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The rows these keys name that exist, strongly consistent.</summary>
    public async Task<Dictionary<(string ProductId, string WarehouseId), InventoryRow>> RowsAsync(
        IEnumerable<(string ProductId, string WarehouseId)> keys, CancellationToken ct)
    {
        var items = await Reads.BatchGetAllAsync(dynamo, storage.InventoryTable,
            keys.Distinct().Select(k => Items.InventoryKey(k.ProductId, k.WarehouseId)).ToList(), ct);
        return (await hot.AddUpAsync(items.Select(Items.ToRow).ToList(), ct)).ToDictionary(r => (r.ProductId, r.WarehouseId));
    }

    /// <summary>Which of these product ids are products.</summary>
    public async Task<HashSet<string>> ExistingProductsAsync(IEnumerable<string> productIds, CancellationToken ct)
    {
        var items = await Reads.BatchGetAllAsync(dynamo, storage.ProductsTable,
            productIds.Distinct(StringComparer.Ordinal).Select(Items.ProductKey).ToList(), ct);
        return items.Select(i => Items.Str(i, Attr.Sku)!).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>What the records of these lines already applied by this import say about each, by line number (one batch read).</summary>
    public async Task<Dictionary<int, Repeat<ImportedLine>>> AppliedAsync(string importId, IReadOnlyList<ImportLine> lines, CancellationToken ct)
    {
        var byKey = lines.DistinctBy(l => l.Line).ToDictionary(l => KeyOf(importId, l.Line));
        var items = await Reads.BatchGetAllAsync(dynamo, storage.IdempotencyTable, byKey.Keys.Select(Items.IdempotencyKey).ToList(), ct);
        return items.Select(IdempotencyRecords.ToRecord)
            .ToDictionary(r => byKey[r.Key].Line, r => GuardOf(importId, byKey[r.Key]).RepeatOf(r));
    }

    /// <summary>
    /// Writes one line. An absolute line is conditioned on <paramref name="expectedVersion"/> (the version the dry run
    /// saw) unless <paramref name="overwrite"/>, when it takes the row's version as it reads it; either way stock never
    /// goes below the units held at the instant of the write. An adjustment is conditioned on the available units.
    /// </summary>
    public async Task<ImportWriteResult> ApplyAsync(
        string importId, ImportLine line, InventoryRow row, long? expectedVersion, bool overwrite, Actor by, CancellationToken ct)
    {
        var reference = ImportLine.ReferenceOf(importId, line.Line);
        var guard = GuardOf(importId, line);
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.UtcNowMillis();
            var transaction = new Transaction();
            ActionHandle change;
            long usedVersion = 0;
            var delta = line.Stock is { } target ? target - row.StockCount : line.Adjust!.Value;
            if (row.IsSpread && delta < 0)
            {
                // A hot row's stock changes on its sub-row 0: a write-down first brings the units there.
                await hot.GatherAsync(line.ProductId, line.WarehouseId, -delta, ct);
            }

            if (line.Stock is { } stock)
            {
                usedVersion = overwrite ? row.Version : expectedVersion!.Value;
                var absolute = new StockChange(stock, line.Threshold, null);
                change = transaction.Add(row.IsSpread
                    ? rows.SetSpreadCounts(row with { Version = usedVersion }, delta, absolute, now, by, line.Reason, reference)
                    : rows.SetCounts(row with { Version = usedVersion }, absolute, now, by, line.Reason, reference));
            }
            else
            {
                change = transaction.Add(rows.Adjust(line.ProductId, line.WarehouseId, line.Adjust!.Value, now,
                    new MoveCause(MoveKind.ADJUSTMENT, by, line.Reason, reference)));
            }

            var done = new ImportedLine(reference, line.IsAbsolute ? MoveKind.SET : MoveKind.ADJUSTMENT, line.Stock ?? line.Adjust!.Value);
            var record = transaction.Add(guard.Record(done));
            var outcome = await writes.CommitAsync(transaction, ct);
            if (outcome.IsCommitted)
            {
                return new ImportWriteResult(ImportOutcome.APPLIED);
            }

            if (guard.RepeatIn(outcome, record) is { } repeat)
            {
                return AlreadyApplied(repeat);
            }

            if (outcome.OldItem(change) is not { } old)
            {
                return new ImportWriteResult(ImportOutcome.ERROR, new ImportError("unknown_warehouse",
                    $"Product \"{line.ProductId}\" has no stock in warehouse \"{line.WarehouseId}\"."));
            }

            var found = (await hot.AddUpAsync([Items.ToRow(old)], ct))[0];
            if (line.IsAbsolute && found.Version != usedVersion)
            {
                if (overwrite && attempt < overwriteAttempts)
                {
                    row = found;
                    continue;
                }

                return new ImportWriteResult(ImportOutcome.ERROR, ChangedSinceDryRun(usedVersion, found), found);
            }

            // The row as the write found it says why: the plan against it names the refusal in words.
            var plan = StockImport.Plan(line, found, productExists: true);
            return new ImportWriteResult(ImportOutcome.ERROR, plan.Error ?? new ImportError("conflict", "The row changed while the line was written; run the import again."), found);
        }
    }

    /// <summary>One line's idempotency: keyed by the import's id and the line's number, refused as another line when its content differs.</summary>
    public IdempotentWrite<ImportedLine> GuardOf(string importId, ImportLine line) =>
        idempotency.For(ImportLine.ReferenceOf(importId, line.Line), KeyOf(importId, line.Line), line.Fingerprint(), IdempotencyRecords.Json.ImportedLine);

    /// <summary>
    /// A line whose record exists: the same line again is done already; other content under the same id and line is
    /// refused, as that line's error (the other lines of the file still go through), not as a 409 of the whole request.
    /// </summary>
    public static ImportWriteResult AlreadyApplied(Repeat<ImportedLine> repeat) =>
        repeat.SameRequest
            ? new ImportWriteResult(ImportOutcome.UNCHANGED, new ImportError("already_applied",
                $"Already applied by this import at {repeat.FirstAt:yyyy-MM-dd HH:mm:ss} UTC; not applied again."))
            : new ImportWriteResult(ImportOutcome.ERROR, new ImportError("import_line_reused",
                "This import already applied a different line under this line number; start a new import for a changed file."));

    public static ImportError ChangedSinceDryRun(long seen, InventoryRow now) => new("changed_since_dry_run",
        $"The row changed since the dry run (version {seen} then, {now.Version} now; stock {now.StockCount}, threshold {now.ThresholdLevel}). "
        + "Run a new dry run, or apply with overwrite to replace it anyway.");
}
