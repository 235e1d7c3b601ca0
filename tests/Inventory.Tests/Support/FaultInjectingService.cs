using Amazon.DynamoDBv2;
using Microsoft.Extensions.DependencyInjection;

namespace Inventory.Tests.Support;

/// <summary>The service behind a <see cref="FaultInjectingDynamoDb"/>: it counts requests and can fail them as real DynamoDB does.</summary>
public abstract class FaultInjectingService : TestService
{
    public FaultInjectingDynamoDb Faults { get; private set; } = null!;

    protected override void OverrideServices(IServiceCollection services) =>
        services.AddSingleton<IAmazonDynamoDB>(_ => Faults = FaultInjectingDynamoDb.For(SharedDynamoDb.ServiceUrlAsync().GetAwaiter().GetResult()));
}
