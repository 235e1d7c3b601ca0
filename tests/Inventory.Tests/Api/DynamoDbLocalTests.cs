using System.Net;
using System.Net.Sockets;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>DynamoDB Local (started as make start and the tests start it) can be reached from this machine only.</summary>
public class DynamoDbLocalTests
{
    [NonLoopbackFact]
    public async Task DynamoDB_Local_answers_on_loopback_and_refuses_the_machines_other_addresses()
    {
        var port = new Uri(await SharedDynamoDb.ServiceUrlAsync()).Port;
        Assert.True(await ConnectsAsync(IPAddress.Loopback, port), "DynamoDB Local does not answer on 127.0.0.1");

        foreach (var address in NonLoopbackFactAttribute.Addresses())
        {
            Assert.False(await ConnectsAsync(address, port), $"DynamoDB Local accepts connections on {address}:{port}");
        }
    }

    private static async Task<bool> ConnectsAsync(IPAddress address, int port)
    {
        using var client = new TcpClient(address.AddressFamily);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
