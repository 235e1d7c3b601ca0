using System.Diagnostics;
using System.Text.Json;
using Inventory.Tests.Lambda;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// A client generated from the served document (openapi-typescript types, openapi-fetch calls), compiled by tsc in
/// strict mode and run against the service: it holds, sells, and reads a refused hold's problem fields by their
/// documented names. A document that misdescribes a body or an error does not compile or does not run.
/// </summary>
public class GeneratedClientTests(TestService service) : IClassFixture<TestService>
{
    private static readonly string ClientDirectory = Path.Combine(PackagedFunctions.RepositoryRoot, "tests", "contract-client");

    [Fact]
    public async Task A_strict_client_generated_from_the_document_holds_sells_and_reads_a_refusal()
    {
        var sku = await service.CreateProductAsync(stock: 10);
        var document = Path.Combine(Path.GetTempPath(), $"inventory-openapi-{Guid.NewGuid():N}.json");
        using (var anonymous = service.Client(apiKey: null))
        {
            await File.WriteAllTextAsync(document, await anonymous.GetStringAsync("/openapi/v1.json"));
        }

        try
        {
            await RunAsync("node", ["node_modules/openapi-typescript/bin/cli.js", document, "-o", "generated/api.d.ts"]);
            await RunAsync("node", ["node_modules/typescript/bin/tsc", "-p", "."]);
            var output = await RunAsync("node", ["build/src/drive.js"], new()
            {
                ["INVENTORY_URL"] = service.BaseAddress.ToString().TrimEnd('/'),
                ["PRODUCT_ID"] = sku,
                ["RESERVE_KEY"] = TestService.ReserveKey,
            });

            var result = JsonDocument.Parse(output).RootElement;
            Assert.Equal("ACTIVE", result.GetProperty("hold").GetProperty("status").GetString());
            Assert.Equal(2, result.GetProperty("sale").GetProperty("lines")[0].GetProperty("quantity").GetInt64());
            Assert.Equal(8, result.GetProperty("available_after_sale").GetInt64());
            var refusal = result.GetProperty("refusal");
            Assert.Equal("insufficient_stock", refusal.GetProperty("code").GetString());
            Assert.Equal(409, refusal.GetProperty("status").GetInt32());
            Assert.False(string.IsNullOrEmpty(refusal.GetProperty("trace_id").GetString()));
            Assert.Equal(8, refusal.GetProperty("available_count").GetInt64());
        }
        finally
        {
            File.Delete(document);
        }
    }

    private static async Task<string> RunAsync(string program, string[] arguments, Dictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program, arguments)
        {
            WorkingDirectory = ClientDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await errors}");
        return await output;
    }
}
