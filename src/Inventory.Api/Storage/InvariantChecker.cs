using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

public sealed record InvariantViolation(string ProductId, string WarehouseId, string Rule, string Detail);

public sealed record InvariantReport(int RowsChecked, int ActiveReservations, IReadOnlyList<InvariantViolation> Violations)
{
    public bool Holds => Violations.Count == 0;
}

/// <summary>
/// Checks the stock invariants against what is stored: counts never negative,
/// available = stock - reserved, reserved = the sum of the row's ACTIVE holds, a status is stored, and the stored
/// status is the one the counts imply once the change stream has caught up (a row changed within
/// <see cref="StatusLagTolerance"/> may still store the previous one). Asked to, it also checks each row's stock history
/// (<see cref="HistoryChain"/>): no entry missing, each starting where the previous ended, and, once the stream has caught
/// up, ending at the row's latest change and adding up to its counts.
/// Used by the tests after every concurrent scenario and by the admin drift report.
/// </summary>
public sealed class InvariantChecker(
    IAmazonDynamoDB dynamo, InventoryStore inventory, HotRows hot, HistoryRecords history, IOptions<StorageOptions> options, TimeProvider clock)
{
    /// <summary>How far behind the counts the stored status may be before the report calls it drift: well past the stream's lag.</summary>
    public static readonly TimeSpan StatusLagTolerance = TimeSpan.FromSeconds(10);

    private readonly StorageOptions storage = options.Value;

    /// <param name="statusLagTolerance">Tests that have waited for the stream pass zero: every stored status (and history) must be exact.</param>
    /// <param name="includeHistory">Also check each row's stock history, which reads all of its kept entries.</param>
    public async Task<InvariantReport> CheckAsync(
        IEnumerable<string> productIds, CancellationToken ct, TimeSpan? statusLagTolerance = null, bool includeHistory = false)
    {
        var settledBefore = clock.GetUtcNow() - (statusLagTolerance ?? StatusLagTolerance);
        var violations = new List<InvariantViolation>();
        var rowsChecked = 0;
        var activeCount = 0;
        foreach (var productId in productIds.Distinct())
        {
            var rows = await inventory.GetRowsAsync(productId, ct);
            var held = await ActiveHoldsByWarehouseAsync(productId, ct);
            rowsChecked += rows.Count;
            activeCount += held.Values.Sum(h => h.Count);
            foreach (var row in rows)
            {
                // A hot row is checked as the row clients see and sub-row by sub-row: each holds exactly its own holds'
                // units, and has a history of its own that must add up to its counts.
                var parts = row.IsSpread ? await hot.SnapshotAsync(productId, row.WarehouseId, ct) ?? [row] : [row];
                var partHolds = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var part in parts)
                {
                    var holdsThere = part.ProductId == productId ? held : await ActiveHoldsByWarehouseAsync(part.ProductId, ct);
                    partHolds[part.ProductId] = holdsThere.GetValueOrDefault(row.WarehouseId).Units;
                    if (part.ProductId != productId)
                    {
                        activeCount += holdsThere.GetValueOrDefault(row.WarehouseId).Count;
                    }
                }

                var settled = row.LastUpdated <= settledBefore;
                violations.AddRange(Check(row, partHolds.Values.Sum(), statusSettled: settled));
                foreach (var part in parts)
                {
                    var which = row.IsSpread ? $"sub-row {SubRows.IndexOf(part.ProductId)}: " : "";
                    if (row.IsSpread)
                    {
                        violations.AddRange(CheckCounts(part, partHolds[part.ProductId]).Select(v => v with { ProductId = productId, Detail = which + v.Detail }));
                    }

                    if (includeHistory)
                    {
                        var entries = await history.RowEntriesAsync(part.ProductId, row.WarehouseId, ct);
                        violations.AddRange(HistoryChain.Faults(entries, part, settled).Select(f => new InvariantViolation(productId, row.WarehouseId, f.Rule, which + f.Detail)));
                    }
                }
            }

            foreach (var orphan in held.Keys.Where(w => rows.All(r => r.WarehouseId != w)))
            {
                violations.Add(new(productId, orphan, "hold_without_row", "active reservations point at a warehouse row that does not exist"));
            }
        }

        return new InvariantReport(rowsChecked, activeCount, violations);
    }

    /// <summary>Every product in the table; pages through it, so memory stays bounded by one page of ids.</summary>
    public async Task<InvariantReport> CheckAllAsync(CancellationToken ct, bool includeHistory = false)
    {
        var total = new InvariantReport(0, 0, []);
        string? token = null;
        var previousPage = new HashSet<string>(StringComparer.Ordinal);
        do
        {
            // A product's rows are contiguous in a scan, so only the one at a page boundary can appear on two pages;
            // every check reads all its rows, so it is checked once.
            var page = await inventory.ListAsync(category: null, status: null, limit: 100, token, ct);
            var products = page.Rows.Select(r => r.ProductId).Distinct(StringComparer.Ordinal).Where(p => !previousPage.Contains(p)).ToList();
            previousPage = page.Rows.Select(r => r.ProductId).ToHashSet(StringComparer.Ordinal);
            var report = await CheckAsync(products, ct, includeHistory: includeHistory);
            total = new InvariantReport(
                total.RowsChecked + report.RowsChecked,
                total.ActiveReservations + report.ActiveReservations,
                [.. total.Violations, .. report.Violations]);
            token = page.NextToken;
        }
        while (token is not null);

        return total;
    }

    private static IEnumerable<InvariantViolation> Check(InventoryRow row, long heldUnits, bool statusSettled)
    {
        InvariantViolation V(string rule, string detail) => new(row.ProductId, row.WarehouseId, rule, detail);

        foreach (var violation in CheckCounts(row, heldUnits))
        {
            yield return violation;
        }

        if (row.StoredStatus is null)
        {
            yield return V("stored_status_present", $"no status is stored (the counts say {row.Status}), so the row is in no status listing");
        }
        else if (row.StoredStatus != row.Status && statusSettled)
        {
            yield return V("stored_status_exact", $"stored status {row.StoredStatus} but the counts say {row.Status}");
        }
    }

    /// <summary>The rules of the counts alone: what every row, and every sub-row of a hot row, must keep.</summary>
    private static IEnumerable<InvariantViolation> CheckCounts(InventoryRow row, long heldUnits)
    {
        InvariantViolation V(string rule, string detail) => new(row.ProductId, row.WarehouseId, rule, detail);

        if (row.StockCount < 0)
        {
            yield return V("stock_non_negative", $"stock_count is {row.StockCount}");
        }

        if (row.ReservedCount < 0)
        {
            yield return V("reserved_non_negative", $"reserved_count is {row.ReservedCount}");
        }

        if (row.AvailableCount < 0)
        {
            yield return V("available_non_negative", $"available_count is {row.AvailableCount}");
        }

        if (row.AvailableCount != row.StockCount - row.ReservedCount)
        {
            yield return V("available_is_stock_minus_reserved",
                $"available_count {row.AvailableCount} != stock_count {row.StockCount} - reserved_count {row.ReservedCount}");
        }

        if (row.ReservedCount != heldUnits)
        {
            yield return V("reserved_matches_active_holds", $"reserved_count {row.ReservedCount} != {heldUnits} units in ACTIVE reservations");
        }
    }

    private async Task<Dictionary<string, (int Count, long Units)>> ActiveHoldsByWarehouseAsync(string productId, CancellationToken ct)
    {
        var held = new Dictionary<string, (int Count, long Units)>(StringComparer.Ordinal);
        var active = Reads.QueryAllAsync(dynamo, new QueryRequest
        {
            TableName = storage.ReservationsTable,
            KeyConditionExpression = "#p = :p",
            FilterExpression = "#st = :active",
            ExpressionAttributeNames = new Dictionary<string, string> { ["#p"] = Attr.ProductId, ["#st"] = Attr.Status },
            ExpressionAttributeValues = new Dictionary<string, AttributeValue>
            {
                [":p"] = Items.S(productId),
                [":active"] = Items.S(nameof(ReservationStatus.ACTIVE)),
            },
            ConsistentRead = true,
        }, ct);
        await foreach (var item in active)
        {
            var warehouse = Items.Str(item, Attr.WarehouseId)!;
            var current = held.GetValueOrDefault(warehouse);
            held[warehouse] = (current.Count + 1, current.Units + Items.Long(item, Attr.Quantity));
        }

        return held;
    }
}
