using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace Inventory.Tests.Support;

/// <summary>
/// A real DynamoDB client that, before passing a transaction on, sometimes fails it the way real DynamoDB
/// does when two transactions touch one item at once (DynamoDB Local never does). Nothing is applied
/// when it injects, exactly like the real service.
/// </summary>
public sealed class FaultInjectingDynamoDb(AWSCredentials credentials, AmazonDynamoDBConfig config) : AmazonDynamoDBClient(credentials, config)
{
    private int transactionCalls;
    private int injected;
    private int pendingConflicts;

    /// <summary>Fail the next <paramref name="count"/> transaction calls (0 = stop failing).</summary>
    public void FailNext(int count) => Volatile.Write(ref pendingConflicts, count);

    /// <summary>Use the exception DynamoDB raises for single-item conflicts instead of a cancellation reason.</summary>
    public bool UseConflictException { get; set; }

    public int TransactionCalls => Volatile.Read(ref transactionCalls);

    public int Injected => Volatile.Read(ref injected);

    public override Task<TransactWriteItemsResponse> TransactWriteItemsAsync(TransactWriteItemsRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref transactionCalls);
        if (Interlocked.Decrement(ref pendingConflicts) >= 0)
        {
            Interlocked.Increment(ref injected);
            if (UseConflictException)
            {
                throw new TransactionConflictException("Injected: transaction conflict.");
            }

            throw new TransactionCanceledException("Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]")
            {
                CancellationReasons = request.TransactItems
                    .Select((_, i) => new CancellationReason { Code = i == 0 ? "TransactionConflict" : "None" })
                    .ToList(),
            };
        }

        Interlocked.Exchange(ref pendingConflicts, 0);
        return base.TransactWriteItemsAsync(request, cancellationToken);
    }

    public static FaultInjectingDynamoDb For(string serviceUrl) =>
        new(new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = serviceUrl, AuthenticationRegion = "us-east-1" });
}
