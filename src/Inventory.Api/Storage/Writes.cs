using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Domain;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Runs writes with a bounded, jittered retry when DynamoDB reports a *transaction conflict*: another
/// transaction was touching the same item at that instant, nothing was applied, and trying again is safe.
/// Condition failures are answers, never retried here. DynamoDB Local never raises conflicts, so this
/// path is proven with a fault-injecting client in the tests.
/// </summary>
public sealed class Writes(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, ILogger<Writes> logger)
{
    private readonly int maxAttempts = Math.Max(1, options.Value.MaxWriteAttempts);

    /// <summary>Returns null on success, or the cancellation reasons (one per action) when a condition failed.</summary>
    public async Task<IReadOnlyList<CancellationReason>?> TransactAsync(List<TransactWriteItem> actions, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await dynamo.TransactWriteItemsAsync(new TransactWriteItemsRequest { TransactItems = actions }, ct);
                return null;
            }
            catch (TransactionCanceledException e) when (IsOnlyConflict(e.CancellationReasons))
            {
                await BackOffOrGiveUp(attempt, "TransactWriteItems", ct);
            }
            catch (TransactionCanceledException e)
            {
                return e.CancellationReasons ?? [];
            }
            catch (TransactionConflictException)
            {
                await BackOffOrGiveUp(attempt, "TransactWriteItems", ct);
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
                await BackOffOrGiveUp(attempt, "UpdateItem", ct);
            }
        }
    }

    public static bool IsConditionFailure(CancellationReason? reason) => reason?.Code == "ConditionalCheckFailed";

    private static bool IsOnlyConflict(List<CancellationReason>? reasons) =>
        reasons is { Count: > 0 }
        && reasons.Any(r => r.Code == "TransactionConflict")
        && reasons.All(r => r.Code is "TransactionConflict" or "None" or null);

    private async Task BackOffOrGiveUp(int attempt, string operation, CancellationToken ct)
    {
        if (attempt >= maxAttempts)
        {
            logger.LogWarning("{Operation} still conflicting after {Attempts} attempts; giving up", operation, attempt);
            throw Problems.Busy();
        }

        // Full jitter on an exponential ceiling (10 ms, 20 ms, ... capped at 320 ms) spreads the colliding writers apart.
        var ceiling = Math.Min(320, 10 * (1 << Math.Min(attempt - 1, 5)));
        await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, ceiling + 1)), ct);
    }
}
