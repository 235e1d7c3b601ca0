using System.Net.Http.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// The text log (the local console format) as a reader sees it: values taken from a request cannot end a line, so a
/// request cannot forge log lines. The service runs as its own process so that its real standard output is read.
/// </summary>
public class LogInjectionTests
{
    [Fact]
    public async Task A_product_id_or_request_id_with_line_breaks_stays_on_its_own_requests_line()
    {
        var prefix = "g" + Guid.NewGuid().ToString("N")[..10];
        string[] args =
        [
            "--environment=Testing", $"--Storage:ServiceUrl={await SharedDynamoDb.ServiceUrlAsync()}", "--Storage:CreateTables=true",
            $"--Storage:InventoryTable={prefix}-inventory", $"--Storage:ReservationsTable={prefix}-reservations",
            $"--Storage:ProductsTable={prefix}-products", $"--Storage:ProductSearchTable={prefix}-product-search", $"--Storage:IdempotencyTable={prefix}-idempotency",
            $"--Storage:AlertsTable={prefix}-alerts", $"--Storage:HistoryTable={prefix}-history", $"--Storage:VelocityTable={prefix}-velocity", $"--Storage:ShipmentsTable={prefix}-shipments", $"--Storage:ProcessedOrdersTable={prefix}-processed-orders",
            "--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Inventory.Requests=Information",
            "--ApiKeys:Keys:0:Name=admin", $"--ApiKeys:Keys:0:Key={TestService.AdminKey}", "--ApiKeys:Keys:0:Scope=Admin",
        ];
        await using var service = await ServiceProcess.StartAsync(args);
        using var anonymous = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler())) { BaseAddress = service.Address };
        var marker = "FORGED-" + Guid.NewGuid().ToString("N")[..8];

        // Without a key: refused, but the line for the request names the product id taken from the path.
        await anonymous.PutAsJsonAsync($"/inventory/{Uri.EscapeDataString($"p\r\ninfo: Inventory.Requests[0]\r\n      {marker}-crlf granted")}", new { stock_count = 1 });
        await anonymous.PutAsJsonAsync($"/inventory/{Uri.EscapeDataString($"p\r{marker}-cr")}", new { stock_count = 1 });
        await anonymous.PutAsJsonAsync($"/inventory/{Uri.EscapeDataString($"p\u2028\u001b[2K{marker}-separator")}", new { stock_count = 1 });
        // The request id comes from a header (the Web Adapter's API Gateway context; locally anyone can send it).
        using var forgedId = new HttpRequestMessage(HttpMethod.Put, "/inventory/p-1") { Content = JsonContent.Create(new { stock_count = 1 }) };
        forgedId.Headers.TryAddWithoutValidation("x-amzn-request-context", $$"""{"requestId":"r\n{{marker}}-header"}""");
        await anonymous.SendAsync(forgedId);

        string[] forged = [$"{marker}-crlf", $"{marker}-cr", $"{marker}-separator", $"{marker}-header"];
        var lines = await Eventually.ValueAsync(
            () => Task.FromResult(service.Output.Where(l => l.Contains(marker, StringComparison.Ordinal)).ToList()),
            l => forged.All(f => l.Any(line => line.Contains(f, StringComparison.Ordinal))),
            "the four requests are logged");

        // Each forged text sits inside the line of its own refused request, escaped, and starts no line of its own.
        Assert.Equal(4, lines.Count);
        Assert.All(lines, line => Assert.Contains("PUT /inventory/{productId} 401", line, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"product p\r\ninfo: Inventory.Requests[0]\r\n      " + marker, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"product p\r" + marker, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"product p\u2028\u001B[2K" + marker, StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains(@"request r\n" + marker, StringComparison.Ordinal));
    }
}
