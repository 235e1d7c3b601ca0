using Inventory.Api.Local;

namespace Inventory.Tests.Support;

/// <summary>
/// One in-memory DynamoDB Local for the whole test run (starting Java costs seconds); every test service
/// gets its own uniquely named tables in it, so tests never see each other's data.
/// </summary>
public static class SharedDynamoDb
{
    private static readonly Lazy<Task<DynamoDbLocal>> Instance = new(async () =>
    {
        var local = await DynamoDbLocal.StartAsync(dataDirectory: null);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => local.Dispose();
        return local;
    });

    public static async Task<string> ServiceUrlAsync() => (await Instance.Value).ServiceUrl;

    /// <summary>A plain client of the shared DynamoDB Local (started by then: call <see cref="ServiceUrlAsync"/> first).</summary>
    public static Amazon.DynamoDBv2.AmazonDynamoDBClient Client() => new(
        new Amazon.Runtime.BasicAWSCredentials("local", "local"),
        new Amazon.DynamoDBv2.AmazonDynamoDBConfig { ServiceURL = Instance.Value.Result.ServiceUrl, AuthenticationRegion = "us-east-1" });
}
