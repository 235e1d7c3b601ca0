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
/// This is the one definition of "transient" for every write the service makes.
/// </summary>
public sealed class Writes(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, ILogger<Writes> logger)
{
    private readonly int maxAttempts = Math.Max(1, options.Value.MaxWriteAttempts);

    /// <summary>Commits the transaction, or says which of its conditions failed; retries conflicts and throttling.</summary>
    public async Task<TransactionOutcome> CommitAsync(Transaction transaction, CancellationToken ct) =>
        await TransactAsync(transaction.Actions, ct) is { } reasons ? TransactionOutcome.ConditionsFailed(reasons) : TransactionOutcome.Committed;

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

    /// <summary>DynamoDB's limit on the items of one BatchWriteItem request.</summary>
    public const int MaxBatchWriteItems = 25;

    /// <summary>
    /// Puts up to <see cref="MaxBatchWriteItems"/> items without conditions (each a pure function of what it records, so
    /// writing one twice changes nothing). What DynamoDB leaves unprocessed (throttling) is sent again with the same
    /// backoff as every other write, and after <see cref="StorageOptions.MaxWriteAttempts"/> the call fails as busy.
    /// </summary>
    public async Task PutBatchAsync(string table, IReadOnlyList<Dictionary<string, AttributeValue>> items, CancellationToken ct)
    {
        var pending = new Dictionary<string, List<WriteRequest>>
        {
            [table] = items.Select(item => new WriteRequest { PutRequest = new PutRequest { Item = item } }).ToList(),
        };
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var response = await dynamo.BatchWriteItemAsync(new BatchWriteItemRequest { RequestItems = pending }, ct);
                if (response.UnprocessedItems is not { } left || left.Values.All(requests => requests.Count == 0))
                {
                    return;
                }

                pending = left;
            }
            catch (Exception e) when (IsThrottling(e))
            {
                // Nothing of this request was applied for certain: send it all again.
            }

            await BackOffOrGiveUp(attempt, "BatchWriteItem", throttled: true, ct);
        }
    }

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
