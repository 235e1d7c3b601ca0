// What one DynamoDB Local request of each kind costs here, at the same concurrency as make bench: the cost model
// behind the reserve + release numbers. Usage: make bench-requests  (or: dotnet run ... -- requests [operations])
using System.Diagnostics;
using System.Globalization;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Amazon.Runtime;
using Inventory.Api.Local;

namespace Inventory.Bench;

public static class RequestCostBenchmark
{
    private const int Concurrency = 32;
    private const int Items = 64;

    public static async Task<int> RunAsync(string[] args)
    {
        var operations = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 6000;
        using var local = await DynamoDbLocal.StartAsync(dataDirectory: null);
        using var db = new AmazonDynamoDBClient(
            new BasicAWSCredentials("local", "local"), new AmazonDynamoDBConfig { ServiceURL = local.ServiceUrl, AuthenticationRegion = "us-east-1" });
        await CreateTableAsync(db, "rows");
        await CreateTableAsync(db, "records");
        for (var i = 0; i < Items; i++)
        {
            await db.PutItemAsync("rows", new()
            {
                ["p"] = new($"p{i}"), ["w"] = new("main"), ["a"] = new() { N = "100000000" }, ["r"] = new() { N = "0" },
                ["h"] = new() { N = "99999995" }, ["st"] = new("IN_STOCK"),
            });
        }

        Console.WriteLine($"DynamoDB Local request costs: concurrency {Concurrency}, {operations} requests each, {Items} items, {Environment.ProcessorCount} cores");
        await MeasureAsync("warm-up (not reported)", operations, i => db.GetItemAsync("rows", Key(i), true), report: false);
        await MeasureAsync("GetItem, strongly consistent", operations, i => db.GetItemAsync("rows", Key(i), true));
        await MeasureAsync("UpdateItem, conditional", operations, i => db.UpdateItemAsync(new UpdateItemRequest
        {
            TableName = "rows", Key = Key(i), UpdateExpression = "SET r = r + :q, a = a - :q", ConditionExpression = "a >= :q",
            ExpressionAttributeValues = new() { [":q"] = new() { N = "1" } },
        }));
        await MeasureAsync("TransactWriteItems, 1 action", operations, i => db.TransactWriteItemsAsync(new() { TransactItems = [Hold(i, statusCondition: false)] }));
        await MeasureAsync("TransactWriteItems, hold (row + record)", operations, i => db.TransactWriteItemsAsync(new()
        {
            TransactItems = [Hold(i, statusCondition: false), Record(i, "a")],
        }));
        await MeasureAsync("TransactWriteItems, hold with status condition", operations, i => db.TransactWriteItemsAsync(new()
        {
            TransactItems = [Hold(i, statusCondition: true), Record(i, "b")],
        }));
        await MeasureAsync("TransactWriteItems, hold, one client at a time", operations / 4, i => db.TransactWriteItemsAsync(new()
        {
            TransactItems = [Hold(i, statusCondition: true), Record(i, "c")],
        }), concurrency: 1);

        // Does a read beside each transaction cost transaction throughput? Half the clients hold, half read.
        var reads = 0;
        await MeasureAsync("TransactWriteItems, hold, reads alongside", operations, async i =>
        {
            await Task.WhenAll(
                db.TransactWriteItemsAsync(new() { TransactItems = [Hold(i, statusCondition: true), Record(i, "d")] }),
                db.GetItemAsync("rows", Key(i + 1), true).ContinueWith(_ => Interlocked.Increment(ref reads), TaskScheduler.Default));
        });
        Console.WriteLine($"  (and {reads} strongly consistent reads in the same time)");
        return 0;
    }

    private static Dictionary<string, AttributeValue> Key(int i) => new() { ["p"] = new($"p{i % Items}"), ["w"] = new("main") };

    /// <summary>The shape of the service's hold: a conditional decrement, optionally with the status-band condition.</summary>
    private static TransactWriteItem Hold(int i, bool statusCondition) => new()
    {
        Update = new Update
        {
            TableName = "rows",
            Key = Key(i),
            UpdateExpression = statusCondition ? "SET r = r + :q, a = a - :q, h = h - :q" : "SET r = r + :q, a = a - :q",
            ConditionExpression = statusCondition
                ? "attribute_exists(p) AND a >= :q AND ((st = :o AND a <= :q AND attribute_exists(h)) OR (st = :l AND a > :q AND h <= :q) OR (st = :i AND h > :q))"
                : "attribute_exists(p) AND a >= :q",
            ExpressionAttributeValues = statusCondition
                ? new() { [":q"] = new() { N = "1" }, [":o"] = new("OUT_OF_STOCK"), [":l"] = new("LOW_STOCK"), [":i"] = new("IN_STOCK") }
                : new() { [":q"] = new() { N = "1" } },
            ReturnValuesOnConditionCheckFailure = ReturnValuesOnConditionCheckFailure.ALL_OLD,
        },
    };

    private static TransactWriteItem Record(int i, string run) => new()
    {
        Put = new Put
        {
            TableName = "records",
            Item = new() { ["p"] = new($"p{i % Items}"), ["w"] = new($"{run}{i}"), ["q"] = new() { N = "1" } },
            ConditionExpression = "attribute_not_exists(p)",
        },
    };

    private static async Task CreateTableAsync(AmazonDynamoDBClient db, string name) => await db.CreateTableAsync(new CreateTableRequest
    {
        TableName = name,
        BillingMode = BillingMode.PAY_PER_REQUEST,
        AttributeDefinitions = [new("p", ScalarAttributeType.S), new("w", ScalarAttributeType.S)],
        KeySchema = [new("p", KeyType.HASH), new("w", KeyType.RANGE)],
    });

    private static async Task MeasureAsync(string name, int count, Func<int, Task> request, bool report = true, int concurrency = Concurrency)
    {
        var next = -1;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                await request(i);
            }
        }));
        if (report)
        {
            var perSecond = count / clock.Elapsed.TotalSeconds;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-48} {perSecond,8:F0} requests/s  {1000 / perSecond,6:F2} ms each"));
        }
    }
}
