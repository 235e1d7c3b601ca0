using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Projections;

/// <summary>
/// The one entry for the stock table's change stream, for both of its readers (the stream function's event source
/// mapping on AWS, <see cref="LocalStreamReader"/> locally). Every write of the stock rows lands here after it commits:
/// each <see cref="IChangeConsumer"/> registered (the history, the stored status with its alerts, the days of cover) gets
/// the batch side by side, as they write different items; then the hot rows it touched are kept even. The batch counts
/// as handled up to the first record some consumer did not finish, which is where the reader resumes.
/// </summary>
public sealed class ChangeStream(IEnumerable<IChangeConsumer> consumers, HotRows hot, IOptions<StorageOptions> storage, ILogger<ChangeStream> logger)
{
    private readonly List<IChangeConsumer> consumers = consumers.ToList();
    private readonly string table = storage.Value.InventoryTable;

    /// <summary>Hands the records (in stream order) to every consumer; returns how many all of them handled, and the first failure after that.</summary>
    public async Task<Consumed> HandleAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        var results = await Task.WhenAll(consumers.Select(c => c.ConsumeAsync(records, ct)));
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i].Failure is { } failure)
            {
                logger.LogWarning(failure, "The {Consumer} projection stopped at record {Index} of {Count}; that record is handed over again",
                    consumers[i].Name, results[i].Handled, records.Count);
            }
        }

        await KeepSpreadAsync(records, ct);
        return results.MinBy(r => r.Handled);
    }

    /// <summary>
    /// After changes of hot rows: their units evened out again, or (folding back) gathered and their empty sub-rows
    /// removed. Best effort: it moves units only as conditional transactions, and a row that stays too busy now is
    /// taken up again at its next change (or by turning it off again), so a failure here never holds the stream up.
    /// </summary>
    private async Task KeepSpreadAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        foreach (var (productId, warehouseId, _) in SpreadRowsIn(records))
        {
            try
            {
                await hot.ProgressAsync(productId, warehouseId, ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                logger.LogInformation(e, "Sub-rows of {ProductId}/{WarehouseId} not rebalanced now; the next change tries again", productId, warehouseId);
            }
        }
    }

    /// <summary>
    /// Whether a stream event's source is the stock table's stream (an event without a source is taken as one). A
    /// mapping set up on another table by mistake must not have its items read as stock rows.
    /// </summary>
    public bool IsStockTableStream(string? eventSourceArn) =>
        eventSourceArn is null || eventSourceArn.Contains($":table/{table}/stream/", StringComparison.Ordinal);

    /// <summary>
    /// The spread rows whose sub-rows these change records touch (a sub-row's change or removal, or the row's own change
    /// while it is spread), each once, with the first record about it.
    /// </summary>
    public static List<(string ProductId, string WarehouseId, int FirstRecord)> SpreadRowsIn(IReadOnlyList<ChangeRecord> records)
    {
        var found = new List<(string, string, int)>();
        var seen = new HashSet<(string, string)>();
        for (var i = 0; i < records.Count; i++)
        {
            var image = records[i].NewImage is { Count: > 0 } after ? after : records[i].OldImage;
            if (image is not { Count: > 0 } || !image.ContainsKey(Attr.StockCount))
            {
                continue;
            }

            // Only the keys and the spread are read: a row whose counts cannot be read is the history's and the status's
            // to report, and must not stop the others here.
            var (productId, warehouseId) = (Items.Str(image, Attr.ProductId), Items.Str(image, Attr.WarehouseId));
            if (productId is null || warehouseId is null)
            {
                continue;
            }

            var spread = SubRows.IsSubRow(productId) || image.ContainsKey(Attr.SubRowCount);
            if (spread && seen.Add((SubRows.ProductOf(productId), warehouseId)))
            {
                found.Add((SubRows.ProductOf(productId), warehouseId, i));
            }
        }

        return found;
    }
}
