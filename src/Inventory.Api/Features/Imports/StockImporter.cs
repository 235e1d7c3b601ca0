using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Features.Imports;

public sealed class ImportOptions
{
    public const string Section = "Imports";

    /// <summary>
    /// How many lines of one request are written at once. Lines of one request name different rows (a row named twice
    /// is refused), so they never contend with each other; the bound keeps one import from crowding out shoppers.
    /// </summary>
    public int WriteParallelism { get; set; } = 16;
}

/// <summary>One line's outcome: the counts before and after (what would be, or was, written), the version seen, or why not.</summary>
public sealed record ImportLineResult(
    int Line, string? ProductId, string? WarehouseId, ImportOutcome Outcome, StockCounts? Before, StockCounts? After, long? Version, ImportError? Error);

/// <summary>
/// The import command: a chunk of lines of one import, checked (dry run) or applied. Every line is read and planned
/// against its row as it is now; a dry run stops there and writes nothing. Apply writes each line that would change
/// its row, at most <see cref="ImportOptions.WriteParallelism"/> at once, each idempotent on the import id and line.
/// </summary>
public sealed class StockImporter(ImportWrites store, IOptions<ImportOptions> options)
{
    public async Task<IReadOnlyList<ImportLineResult>> RunAsync(
        string importId, IReadOnlyList<(ImportCells Cells, long? ExpectedVersion)> lines, bool dryRun, bool overwrite, Actor by, CancellationToken ct)
    {
        var results = new ImportLineResult?[lines.Count];
        var read = new List<(int Index, ImportLine Line, long? ExpectedVersion)>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var (cells, expected) = lines[i];
            var (line, error) = StockImport.Read(cells);
            if (line is null)
            {
                results[i] = new ImportLineResult(cells.Line, Trimmed(cells.ProductId), Trimmed(cells.WarehouseId), ImportOutcome.ERROR, null, null, null, error);
            }
            else
            {
                read.Add((i, line, expected));
            }
        }

        // Two lines for one row would make the outcome depend on their order: neither is imported.
        foreach (var group in read.GroupBy(r => (r.Line.ProductId, r.Line.WarehouseId)).Where(g => g.Count() > 1))
        {
            var numbers = string.Join(", ", group.Select(r => r.Line.Line));
            foreach (var (index, line, _) in group)
            {
                results[index] = Result(line, ImportOutcome.ERROR, null, null, new ImportError("duplicate_row",
                    $"Lines {numbers} all name product \"{line.ProductId}\" in warehouse \"{line.WarehouseId}\"; keep one of them."));
            }
        }

        var valid = read.Where(r => results[r.Index] is null).ToList();
        var rows = await store.RowsAsync(valid.Select(v => (v.Line.ProductId, v.Line.WarehouseId)), ct);
        var missingProducts = valid.Where(v => !rows.ContainsKey((v.Line.ProductId, v.Line.WarehouseId))).Select(v => v.Line.ProductId).ToList();
        var products = missingProducts.Count > 0 ? await store.ExistingProductsAsync(missingProducts, ct) : [];
        var applied = dryRun ? [] : await store.AppliedAsync(importId, valid.Select(v => v.Line).ToList(), ct);

        var writes = new List<(int Index, ImportLine Line, InventoryRow Row, long? ExpectedVersion, ImportLinePlan Plan)>();
        foreach (var (index, line, expected) in valid)
        {
            var row = rows.GetValueOrDefault((line.ProductId, line.WarehouseId));
            if (applied.TryGetValue(line.Line, out var repeat))
            {
                var again = ImportWrites.AlreadyApplied(repeat);
                results[index] = Result(line, again.Outcome, row?.Counts, row?.Counts, again.Error, row?.Version);
                continue;
            }

            var plan = StockImport.Plan(line, row, productExists: row is not null || products.Contains(line.ProductId));
            if (dryRun || plan.Outcome is ImportOutcome.ERROR or ImportOutcome.UNCHANGED)
            {
                results[index] = Result(line, plan.Outcome, plan.Before, plan.After, plan.Error, row?.Version);
                continue;
            }

            if (line.IsAbsolute && !overwrite && expected != row!.Version)
            {
                results[index] = Result(line, ImportOutcome.ERROR, plan.Before, null, expected is { } seen
                    ? ImportWrites.ChangedSinceDryRun(seen, row)
                    : new ImportError("no_dry_run_version", "A stock line is applied only with the version its dry run saw (expected_version), or with overwrite."),
                    row.Version);
                continue;
            }

            writes.Add((index, line, row!, expected, plan));
        }

        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Value.WriteParallelism), CancellationToken = ct };
        await Parallel.ForEachAsync(writes, parallel, async (w, token) =>
        {
            var written = await store.ApplyAsync(importId, w.Line, w.Row, w.ExpectedVersion, overwrite, by, token);
            results[w.Index] = written.Outcome == ImportOutcome.APPLIED
                ? Result(w.Line, ImportOutcome.APPLIED, w.Plan.Before, w.Plan.After, null, null)
                : Result(w.Line, written.Outcome, written.Row?.Counts ?? w.Plan.Before, null, written.Error, written.Row?.Version);
        });

        return results.Select(r => r!).ToList();
    }

    private static ImportLineResult Result(ImportLine line, ImportOutcome outcome, StockCounts? before, StockCounts? after, ImportError? error, long? version = null) =>
        new(line.Line, line.ProductId, line.WarehouseId, outcome, before, after, version, error);

    private static string? Trimmed(string? cell) => string.IsNullOrWhiteSpace(cell) ? null : cell.Trim();
}
