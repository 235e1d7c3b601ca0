using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace Inventory.Tests.Support;

/// <summary>
/// A real DynamoDB client that, before passing a transaction on, sometimes cancels it the way real DynamoDB
/// does (DynamoDB Local never does): a transaction conflict on a hot item, throttling, or any other cancellation
/// reason. Nothing is applied when it injects, exactly like the real service. It can also let some transactions
/// through first, and run a callback right after a transaction commits.
/// </summary>
public sealed class FaultInjectingDynamoDb(AWSCredentials credentials, AmazonDynamoDBConfig config) : AmazonDynamoDBClient(credentials, config)
{
    private int transactionCalls;
    private int injected;
    private int pendingPasses;
    private int pendingFaults;

    /// <summary>Fail the next <paramref name="count"/> transaction calls (0 = stop failing), after letting <paramref name="after"/> through.</summary>
    public void FailNext(int count, int after = 0)
    {
        Volatile.Write(ref pendingPasses, after);
        Volatile.Write(ref pendingFaults, count);
    }

    /// <summary>Use the exception DynamoDB raises for single-item conflicts instead of a cancellation reason.</summary>
    public bool UseConflictException { get; set; }

    /// <summary>The cancellation reason injected on the first action: TransactionConflict, ThrottlingError, ValidationError…</summary>
    public string InjectedCode { get; set; } = "TransactionConflict";

    /// <summary>Runs after a transaction committed, before the caller sees its success (null: nothing).</summary>
    public Func<Task>? AfterCommit { get; set; }

    public int TransactionCalls => Volatile.Read(ref transactionCalls);

    public int Injected => Volatile.Read(ref injected);

    public override async Task<TransactWriteItemsResponse> TransactWriteItemsAsync(TransactWriteItemsRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref transactionCalls);
        if (Interlocked.Decrement(ref pendingPasses) < 0 && Interlocked.Decrement(ref pendingFaults) >= 0)
        {
            Interlocked.Increment(ref injected);
            if (UseConflictException)
            {
                throw new TransactionConflictException("Injected: transaction conflict.");
            }

            throw new TransactionCanceledException($"Transaction cancelled, please refer cancellation reasons for specific reasons [{InjectedCode}]")
            {
                CancellationReasons = request.TransactItems
                    .Select((_, i) => new CancellationReason { Code = i == 0 ? InjectedCode : "None", Message = i == 0 ? "Injected." : null })
                    .ToList(),
            };
        }

        Interlocked.Exchange(ref pendingFaults, Math.Max(0, Volatile.Read(ref pendingFaults)));
        var response = await base.TransactWriteItemsAsync(request, cancellationToken);
        if (AfterCommit is { } callback)
        {
            await callback();
        }

        return response;
    }

    public static FaultInjectingDynamoDb For(string serviceUrl) =>
        new(new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = serviceUrl, AuthenticationRegion = "us-east-1" });
}
