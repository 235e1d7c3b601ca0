namespace Inventory.Api.Storage;

/// <summary>
/// Everything that follows from the stock table's change stream, in one place for both of its readers (the stream
/// function's event source mapping on AWS, <c>StatusStreamReader</c> locally): each record's history entry
/// (<see cref="StockHistory"/>), the stored status with its alert (<see cref="StatusTransitions"/>), and the sales velocity
/// and days of cover with their "runs out soon" alert (<see cref="CoverTracker"/>). All three are keyed so a record
/// handed over again writes nothing new, which is what lets a reader resume from the first record not handled by all.
/// </summary>
public sealed class StockChangeHandler(StockHistory history, StatusTransitions statuses, CoverTracker cover, HotRows hot, ILogger<StockChangeHandler> logger)
{
    /// <summary>
    /// Handles records of the stock table in stream order; returns how many it handled before a failure (all of them if
    /// none). The history and the statuses go to different items, so they are written side by side: the entries cost
    /// the status (and its alert) no lag.
    /// </summary>
    public async Task<(int Handled, Exception? Failure)> HandleAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        var recording = history.RecordAsync(records, ct);
        var settling = statuses.ApplyAsync(records, ct);
        var covering = cover.RecordAsync(records, ct);
        await Task.WhenAll(recording, settling, covering);
        var (recorded, historyFailure) = await recording;
        var (settled, statusFailure) = await settling;
        var first = recorded <= settled ? (recorded, historyFailure) : (settled, statusFailure);

        // Days of cover go to their own table, side by side with the rest; their counters and alerts are keyed by move.
        var (covered, coverFailure) = await covering;
        await KeepSpreadAsync(records, ct);
        return covered < first.Item1 ? (covered, coverFailure) : first;
    }

    /// <summary>
    /// After changes of hot rows: their units evened out again, or (folding back) gathered and their empty sub-rows
    /// removed. Best effort: it moves units only as conditional transactions, and a row that stays too busy now is
    /// taken up again at its next change (or by turning it off again), so a failure here never holds the stream up.
    /// </summary>
    private async Task KeepSpreadAsync(IReadOnlyList<ChangeRecord> records, CancellationToken ct)
    {
        foreach (var (productId, warehouseId, _) in HotRows.SpreadRowsIn(records))
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

    /// <inheritdoc cref="StatusTransitions.IsStockTableStream"/>
    public bool IsStockTableStream(string? eventSourceArn) => statuses.IsStockTableStream(eventSourceArn);
}
