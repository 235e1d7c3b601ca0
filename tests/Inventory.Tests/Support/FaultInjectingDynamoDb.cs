using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;

namespace Inventory.Tests.Support;

/// <summary>
/// A real DynamoDB client that, before passing a transaction on, sometimes cancels it the way real DynamoDB
/// does (DynamoDB Local never does): a transaction conflict on a hot item, throttling, or any other cancellation
/// reason. Nothing is applied when it injects, exactly like the real service. It can also let some transactions
/// through first, and run a callback right after a transaction commits. It records every request it sends, so a
/// test can count what one call costs.
/// </summary>
public sealed class FaultInjectingDynamoDb : AmazonDynamoDBClient
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<AmazonWebServiceRequest> sent = new();
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

    /// <summary>
    /// Fail every transaction that names this value (a product id, a reservation id: see <see cref="TakeRequestsFor"/>)
    /// with <see cref="InjectedCode"/>, as long as it is set: a row that stays busy whatever the retries. Null: none.
    /// </summary>
    public string? FailTransactionsNaming { get; set; }

    /// <summary>Runs after a transaction committed, before the caller sees its success (null: nothing).</summary>
    public Func<Task>? AfterCommit { get; set; }

    /// <summary>
    /// Runs <see cref="AfterCommit"/> only after a transaction naming this value (a reservation id): the service's own
    /// background transactions commit at any moment too. Null: after any transaction.
    /// </summary>
    public string? AfterCommitNaming { get; set; }

    public int TransactionCalls => Volatile.Read(ref transactionCalls);

    public int Injected => Volatile.Read(ref injected);

    public override async Task<TransactWriteItemsResponse> TransactWriteItemsAsync(TransactWriteItemsRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref transactionCalls);
        if ((FailTransactionsNaming is { } named && Touches(request, named))
            || (Interlocked.Decrement(ref pendingPasses) < 0 && Interlocked.Decrement(ref pendingFaults) >= 0))
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
        if (AfterCommit is { } callback && (AfterCommitNaming is null || Touches(request, AfterCommitNaming)))
        {
            await callback();
        }

        return response;
    }

    public FaultInjectingDynamoDb(AWSCredentials credentials, AmazonDynamoDBConfig config)
        : base(credentials, config) =>
        BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Request: { } request })
            {
                sent.Enqueue(request);
            }
        };

    /// <summary>
    /// The operations sent (and not injected) since the last call that touch this product: its key, an item naming
    /// it, or a value equal to it. Background jobs run too, so a test counts only its own product's requests.
    /// </summary>
    /// <param name="table">Only requests to this table (background work on other tables, such as the days of cover after a
    /// product's creation, is not the call being counted); null: every table.</param>
    public List<string> TakeRequestsFor(string productId, string? table = null)
    {
        var taken = new List<string>();
        while (sent.TryDequeue(out var request))
        {
            if (Touches(request, productId) && (table is null || TableOf(request) == table))
            {
                taken.Add(request.GetType().Name.Replace("Request", "", StringComparison.Ordinal));
            }
        }

        return taken;
    }

    private static string? TableOf(AmazonWebServiceRequest request) => request switch
    {
        GetItemRequest get => get.TableName,
        UpdateItemRequest update => update.TableName,
        PutItemRequest put => put.TableName,
        QueryRequest query => query.TableName,
        _ => null,
    };

    private static bool Touches(AmazonWebServiceRequest request, string productId)
    {
        bool Names(Dictionary<string, AttributeValue>? values) => values?.Values.Any(v => v.S == productId) == true;
        return request switch
        {
            GetItemRequest get => Names(get.Key),
            UpdateItemRequest update => Names(update.Key),
            PutItemRequest put => Names(put.Item),
            QueryRequest query => Names(query.ExpressionAttributeValues),
            BatchGetItemRequest batch => batch.RequestItems.Values.Any(k => k.Keys.Any(Names)),
            TransactWriteItemsRequest transaction => transaction.TransactItems.Any(i =>
                Names(i.Update?.Key) || Names(i.Put?.Item) || Names(i.ConditionCheck?.Key) || Names(i.Delete?.Key)),
            _ => false,
        };
    }

    public static FaultInjectingDynamoDb For(string serviceUrl) =>
        new(new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = serviceUrl, AuthenticationRegion = "us-east-1" });
}
