using Amazon.DynamoDBv2.Model;

namespace Inventory.Api.Storage;

/// <summary>One action's place in a <see cref="Transaction"/>, to ask the outcome about it.</summary>
public readonly record struct ActionHandle(int Index);

/// <summary>
/// The actions of one TransactWriteItems call, all applied or none. <see cref="Add"/> returns a handle, and the
/// <see cref="TransactionOutcome"/> answers by handle, so no caller decodes cancellation reasons by position.
/// </summary>
public sealed class Transaction
{
    /// <summary>DynamoDB's ceiling on the actions of one TransactWriteItems call.</summary>
    public const int MaxActions = 100;

    private readonly List<TransactWriteItem> actions = [];

    public int Count => actions.Count;

    internal List<TransactWriteItem> Actions => actions;

    public ActionHandle Add(TransactWriteItem action)
    {
        actions.Add(action);
        return new ActionHandle(actions.Count - 1);
    }
}

/// <summary>
/// How a transaction ended: committed, or cancelled because conditions failed. Conflicts and throttling never get
/// here (<see cref="Writes"/> retries them, then answers 503), nor do faults such as a validation error (thrown).
/// </summary>
public sealed class TransactionOutcome
{
    private readonly IReadOnlyList<CancellationReason>? reasons;

    private TransactionOutcome(IReadOnlyList<CancellationReason>? reasons) => this.reasons = reasons;

    public static TransactionOutcome Committed { get; } = new(null);

    public bool IsCommitted => reasons is null;

    public static TransactionOutcome ConditionsFailed(IReadOnlyList<CancellationReason> reasons) => new(reasons);

    /// <summary>Whether this action's condition failed (false when the transaction committed).</summary>
    public bool Failed(ActionHandle action) => reasons is not null && action.Index < reasons.Count && reasons[action.Index].Code == "ConditionalCheckFailed";

    /// <summary>The item as it was when this action's condition failed, if the action asked for it and it existed.</summary>
    public Dictionary<string, AttributeValue>? OldItem(ActionHandle action) =>
        Failed(action) && reasons![action.Index].Item is { Count: > 0 } item ? item : null;
}
