using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Runs writes with a bounded, jittered retry when DynamoDB says nothing was applied and trying again is safe:
/// a *transaction conflict* (another transaction touched the same item at that instant) or *throttling*.
/// Condition failures are answers, returned to the caller and never retried. Any other cancellation reason
/// (a validation error, an unknown code) is a fault of ours: it is thrown, logged and answered 500, never read
/// as a refusal. DynamoDB Local raises none of these, so they are proven with a fault-injecting client.
/// <para>
/// It also keeps the stored status of every stock row a transaction changes exact (<see cref="StockRowChange"/>):
/// a change that would move the status is retried pinned to the row as it was, with the new status and its alert.
/// </para>
/// </summary>
public sealed class Writes(IAmazonDynamoDB dynamo, StockRows rows, IOptions<StorageOptions> options, TimeProvider clock, ILogger<Writes> logger)
{
    private readonly int maxAttempts = Math.Max(1, options.Value.MaxWriteAttempts);
    private readonly string inventoryTable = options.Value.InventoryTable;

    /// <summary>How long restating rows after a commit may take in all: a few DynamoDB round trips, retries included.</summary>
    private TimeSpan RestateBudget => TimeSpan.FromSeconds(Math.Max(1, options.Value.RequestTimeoutSeconds) * 2);

    /// <summary>
    /// Commits the transaction, or says which of its conditions failed; retries conflicts and throttling. A stock-row
    /// change whose condition failed only because it moves the status is re-formed pinned to the row it met, with
    /// the status and its alert, and the transaction tried again; its handle never reports that as a failure.
    /// </summary>
    public async Task<TransactionOutcome> CommitAsync(Transaction transaction, CancellationToken ct)
    {
        var actions = new List<TransactWriteItem>(transaction.Actions);
        var alerts = new SortedDictionary<int, TransactWriteItem>();
        var keptStatus = new HashSet<int>();
        for (var round = 1; ; round++)
        {
            var reasons = await TransactAsync(alerts.Count == 0 ? actions : [.. actions, .. alerts.Values], ct);
            if (reasons is null)
            {
                if (keptStatus.Count > 0)
                {
                    await RestateAfterCommitAsync(keptStatus.Select(i => transaction.RowChanges[i]));
                }

                return TransactionOutcome.Committed;
            }

            var statusOnly = new List<int>();
            var refused = false;
            for (var i = 0; i < actions.Count; i++)
            {
                if (reasons[i].Code != "ConditionalCheckFailed")
                {
                    continue;
                }

                if (transaction.RowChanges.TryGetValue(i, out var change) && change.AllowedOn(reasons[i].Item))
                {
                    statusOnly.Add(i);
                }
                else
                {
                    refused = true;
                }
            }

            if (refused || statusOnly.Count == 0)
            {
                // Only real refusals are answers; a row that merely moves its status is not one.
                return TransactionOutcome.ConditionsFailed(
                    [.. reasons.Take(actions.Count).Select((r, i) => statusOnly.Contains(i) ? new CancellationReason { Code = "None" } : r)]);
            }

            if (round >= maxAttempts)
            {
                logger.LogWarning("Stock rows kept moving under a status change after {Attempts} attempts; giving up", round);
                throw Problems.Busy();
            }

            foreach (var i in statusOnly)
            {
                alerts.Remove(i);
                keptStatus.Remove(i);
                var withStatus = actions.Count + alerts.Count < Transaction.MaxActions;
                actions[i] = transaction.RowChanges[i].NextTry(reasons[i].Item, withStatus, clock.UtcNowMillis(), out var alert);
                if (alert is not null)
                {
                    alerts[i] = alert;
                }

                if (!withStatus)
                {
                    keptStatus.Add(i);
                }
            }
        }
    }

    /// <summary>
    /// Writes the status (with its alert) and headroom a stored row's counts imply if they lag: for the threshold
    /// check, which finds rows written before each write kept them. Returns whether it wrote.
    /// </summary>
    public async Task<bool> RestateAsync(Dictionary<string, AttributeValue> item, CancellationToken ct)
    {
        for (var attempt = 1; attempt <= maxAttempts && StockRows.NeedsRestating(item); attempt++)
        {
            var row = Items.ToRow(item);
            var transaction = new Transaction();
            transaction.Add(rows.Restate(row.ProductId, row.WarehouseId).PinnedTo(item, withStatus: true, clock.UtcNowMillis(), out var alert));
            if (alert is not null)
            {
                transaction.Add(alert);
            }

            if ((await TransactAsync(transaction.Actions, ct)) is null)
            {
                return true;
            }

            // Another write moved the row meanwhile: look again at what it left.
            if (await ReadRowAsync(row.ProductId, row.WarehouseId, ct) is not { } current)
            {
                return false;
            }

            item = current;
        }

        return false;
    }

    /// <summary>
    /// A transaction too full to carry the alerts of its status moves committed them with the stored status kept;
    /// this restates those rows at once. It does not depend on the caller (a client that hangs up does not cancel it)
    /// and never fails the committed write: what it cannot finish, the scheduled threshold check repairs.
    /// </summary>
    private async Task RestateAfterCommitAsync(IEnumerable<StockRowChange> changes)
    {
        using var budget = new CancellationTokenSource(RestateBudget);
        foreach (var change in changes)
        {
            try
            {
                var item = await ReadRowAsync(change.ProductId, change.WarehouseId, budget.Token);
                if (item is not null)
                {
                    await RestateAsync(item, budget.Token);
                }
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Status of {ProductId}/{WarehouseId} not restated after a full transaction; the threshold check will",
                    change.ProductId, change.WarehouseId);
            }
        }
    }

    /// <summary>Returns null on success, or the cancellation reasons (one per action) when a condition failed.</summary>
    private async Task<IReadOnlyList<CancellationReason>?> TransactAsync(List<TransactWriteItem> actions, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, ct);
                return null;
            }
            catch (TransactionCanceledException e)
            {
                var reasons = e.CancellationReasons ?? [];
                switch (Classify(reasons))
                {
                    case Cancellation.Condition:
                        return reasons;
                    case Cancellation.Retryable:
                        await BackOffOrGiveUp(attempt, "TransactWriteItems", Throttled(reasons), ct);
                        break;
                    default:
                        throw new InvalidOperationException(
                            "TransactWriteItems was cancelled for a reason that is not an answer: "
                            + string.Join(", ", reasons.Select((r, i) => $"[{i}] {r.Code}: {r.Message}")), e);
                }
            }
            catch (TransactionConflictException)
            {
                await BackOffOrGiveUp(attempt, "TransactWriteItems", throttled: false, ct);
            }
            catch (Exception e) when (IsThrottling(e))
            {
                await BackOffOrGiveUp(attempt, "TransactWriteItems", throttled: true, ct);
            }
        }
    }

    /// <summary>A single-item write; returns null when its condition failed (with the old item if asked for).</summary>
    public async Task<UpdateItemResponse?> UpdateAsync(UpdateItemRequest request, Action<ConditionalCheckFailedException>? onConditionFailed, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await dynamo.UpdateItemAsync(request, ct);
            }
            catch (ConditionalCheckFailedException e)
            {
                onConditionFailed?.Invoke(e);
                return null;
            }
            catch (TransactionConflictException)
            {
                // A single-item write that met an in-flight transaction on the same item.
                await BackOffOrGiveUp(attempt, "UpdateItem", throttled: false, ct);
            }
            catch (Exception e) when (IsThrottling(e))
            {
                await BackOffOrGiveUp(attempt, "UpdateItem", throttled: true, ct);
            }
        }
    }

    private async Task<Dictionary<string, AttributeValue>?> ReadRowAsync(string productId, string warehouseId, CancellationToken ct) =>
        (await dynamo.GetItemAsync(new GetItemRequest
        {
            TableName = inventoryTable,
            Key = Items.InventoryKey(productId, warehouseId),
            ConsistentRead = true,
        }, ct)).Item is { Count: > 0 } item ? item : null;

    private enum Cancellation
    {
        /// <summary>Only condition failures (and "None" for the actions that were fine): an answer.</summary>
        Condition,

        /// <summary>Conflicts or throttling, nothing applied: try again.</summary>
        Retryable,

        /// <summary>Anything else: a request we built wrong, or a code we do not know.</summary>
        Fault,
    }

    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingError", "ProvisionedThroughputExceeded", "RequestLimitExceeded", "Throttling",
    };

    private static Cancellation Classify(IReadOnlyList<CancellationReason> reasons)
    {
        var codes = reasons.Select(r => r.Code ?? "None").Where(c => c != "None").ToList();
        if (codes.Count == 0 || codes.Any(c => c != "ConditionalCheckFailed" && c != "TransactionConflict" && !ThrottlingCodes.Contains(c)))
        {
            return Cancellation.Fault;
        }

        // A condition failure is the answer even if another action also conflicted: retrying cannot change it.
        return codes.Contains("ConditionalCheckFailed") ? Cancellation.Condition : Cancellation.Retryable;
    }

    private static bool Throttled(IReadOnlyList<CancellationReason> reasons) => reasons.Any(r => r.Code is { } code && ThrottlingCodes.Contains(code));

    private static bool IsThrottling(Exception e) =>
        e is ProvisionedThroughputExceededException or RequestLimitExceededException
        || (e is Amazon.Runtime.AmazonServiceException service && service.ErrorCode is "ThrottlingException" or "Throttling");

    private async Task BackOffOrGiveUp(int attempt, string operation, bool throttled, CancellationToken ct)
    {
        if (attempt >= maxAttempts)
        {
            logger.LogWarning("{Operation} still {Fault} after {Attempts} attempts; giving up", operation, throttled ? "throttled" : "conflicting", attempt);
            throw throttled ? Problems.StorageBusy() : Problems.Busy();
        }

        // Full jitter on an exponential ceiling (10 ms, 20 ms, ... capped at 320 ms) spreads the colliding writers apart.
        var ceiling = Math.Min(320, 10 * (1 << Math.Min(attempt - 1, 5)));
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, ceiling + 1)), ct);
    }
}
