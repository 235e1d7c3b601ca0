using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Features.Shipments;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>Inbound shipments: incoming units, receipts (partial, repeated, replayed, over the expected quantity), closing.</summary>
public class ShipmentTests(TestService service) : IClassFixture<TestService>
{
    private static readonly DateOnly Soon = DateOnly.FromDateTime(DateTime.UtcNow).AddDays(7);
    private static readonly DateOnly Later = Soon.AddDays(14);

    private static string NewId(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task<Answer<ShipmentView>> CreateAsync(HttpClient admin, string shipmentId, string warehouse, params object[] lines) =>
        await InventoryClient.ReadAsync<ShipmentView>(await admin.PostAsJsonAsync("/shipments", new
        {
            shipment_id = shipmentId, supplier_reference = "PO-" + shipmentId, warehouse_id = warehouse, lines,
        }));

    private static object Line(string product, long expected, DateOnly date, bool? allowOver = null) =>
        new { product_id = product, expected_quantity = expected, expected_date = date.ToString("yyyy-MM-dd"), allow_over_receipt = allowOver };

    private static async Task<Answer<ReceiptResponse>> ReceiveAsync(HttpClient admin, string shipmentId, string receiptId, params (string Product, long Quantity)[] lines) =>
        await InventoryClient.ReadAsync<ReceiptResponse>(await admin.PostAsJsonAsync($"/shipments/{shipmentId}/receipts", new
        {
            receipt_id = receiptId,
            lines = lines.Select(l => new { product_id = l.Product, quantity = l.Quantity }),
        }));

    private static InventoryRowView Row(InventoryView view, string warehouse) => view.Warehouses.Single(w => w.WarehouseId == warehouse);

    [Fact]
    public async Task A_shipment_counts_as_incoming_per_warehouse_until_it_is_received()
    {
        var mug = await TransferTests.TwoWarehousesAsync(service, main: 3);
        var tee = await service.CreateProductAsync(stock: 0);
        using var admin = service.Api();
        Assert.Equal(0, (await admin.InventoryAsync(mug)).IncomingCount);
        Assert.Null((await admin.InventoryAsync(mug)).NextExpectedDate);

        var later = NewId("po");
        var soon = NewId("po");
        var east = NewId("po");
        var created = await CreateAsync(admin.Http, later, "main", Line(mug, 40, Later), Line(tee, 12, Later));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        Assert.Equal((ShipmentStatus.OPEN, 52L), (created.Ok.Status, created.Ok.IncomingCount));
        Assert.Equal((HttpStatusCode.Created, HttpStatusCode.Created), ((await CreateAsync(admin.Http, soon, "main", Line(mug, 10, Soon))).Status, (await CreateAsync(admin.Http, east, "east", Line(mug, 5, Later))).Status));

        var inventory = await admin.InventoryAsync(mug);
        Assert.Equal((50L, Soon), (Row(inventory, "main").IncomingCount!.Value, Row(inventory, "main").NextExpectedDate!.Value));
        Assert.Equal((5L, Later), (Row(inventory, "east").IncomingCount!.Value, Row(inventory, "east").NextExpectedDate!.Value));
        Assert.Equal((55L, Soon), (inventory.IncomingCount!.Value, inventory.NextExpectedDate!.Value));
        Assert.Equal(3, inventory.StockCount); // incoming is not stock
        using (var reader = service.Client(TestService.ReadKey))
        {
            var one = await TestService.ReadJsonAsync(await reader.GetAsync($"/inventory/{mug}?warehouse_id=east"));
            Assert.Equal(5, one.GetProperty("incoming_count").GetInt64());
            Assert.Equal(Later.ToString("yyyy-MM-dd"), one.GetProperty("warehouses")[0].GetProperty("next_expected_date").GetString());
        }

        // The product's open lines, earliest first; and the whole shipment by its id.
        var open = (await InventoryClient.ReadAsync<PageView<ShipmentLineView>>(await admin.Http.GetAsync($"/shipments?product_id={mug}"))).Ok;
        Assert.Equal(soon, open.Items[0].ShipmentId);
        Assert.Equal(new[] { later, east }.Order(), open.Items.Skip(1).Select(l => l.ShipmentId).Order());
        var shipment = (await InventoryClient.ReadAsync<ShipmentView>(await admin.Http.GetAsync($"/shipments/{later}"))).Ok;
        Assert.Equal(("PO-" + later, "main", "admin"), (shipment.SupplierReference, shipment.WarehouseId, shipment.CreatedBy));
        Assert.Equal([mug, tee], shipment.Lines.Select(l => l.ProductId));
        Assert.Empty(shipment.Receipts);

        // Received in full, a line no longer counts; the stock has the units instead, at the same moment.
        var received = await ReceiveAsync(admin.Http, soon, "dock-1", (mug, 10));
        Assert.Equal(HttpStatusCode.Created, received.Status);
        Assert.Equal(ShipmentStatus.RECEIVED, received.Ok.Shipment.Status);
        inventory = await admin.InventoryAsync(mug);
        Assert.Equal((13L, 40L, Later), (Row(inventory, "main").StockCount, Row(inventory, "main").IncomingCount!.Value, Row(inventory, "main").NextExpectedDate!.Value));
        var all = (await InventoryClient.ReadAsync<PageView<ShipmentLineView>>(await admin.Http.GetAsync($"/shipments?product_id={mug}&status=all"))).Ok;
        Assert.Equal(3, all.Items.Count);
        Assert.Equal(2, (await InventoryClient.ReadAsync<PageView<ShipmentLineView>>(await admin.Http.GetAsync($"/shipments?product_id={mug}"))).Ok.Items.Count);

        // Closing a shipment takes what it did not deliver out of the incoming units, and refuses later receipts.
        var closed = (await InventoryClient.ReadAsync<ShipmentView>(await admin.Http.PostAsync($"/shipments/{later}/close", null))).Ok;
        Assert.Equal((ShipmentStatus.CLOSED, 0L), (closed.Status, closed.IncomingCount));
        Assert.All(closed.Lines, l => Assert.Equal(ShipmentStatus.CLOSED, l.Status));
        inventory = await admin.InventoryAsync(mug);
        Assert.Equal((0L, (DateOnly?)null), (Row(inventory, "main").IncomingCount!.Value, Row(inventory, "main").NextExpectedDate));
        Assert.Equal(0, (await admin.InventoryAsync(tee)).IncomingCount);
        var late = await ReceiveAsync(admin.Http, later, "dock-2", (mug, 1));
        Assert.Equal((HttpStatusCode.Conflict, "shipment_closed"), (late.Status, late.Code));
        using var again = await admin.Http.PostAsync($"/shipments/{later}/close", null);
        Assert.Equal("true", again.Headers.GetValues("Idempotent-Replayed").Single());
    }

    [Fact]
    public async Task Receipts_raise_stock_and_received_counts_together_replays_change_nothing_and_over_receipt_needs_the_lines_consent()
    {
        var bolt = await service.CreateProductAsync(stock: 5);
        var nut = await service.CreateProductAsync(stock: 0);
        using var admin = service.Api();
        var id = NewId("po");
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(admin.Http, id, "main", Line(bolt, 10, Soon), Line(nut, 4, Soon, allowOver: true))).Status);

        // A partial receipt.
        var first = await ReceiveAsync(admin.Http, id, "r1", (bolt, 4));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(("r1", "admin"), (first.Ok.Receipt.ReceiptId, first.Ok.Receipt.ReceivedBy));
        var line = first.Ok.Shipment.Lines.Single(l => l.ProductId == bolt);
        Assert.Equal((4L, 6L, ShipmentStatus.OPEN), (line.ReceivedQuantity, line.IncomingCount, line.Status));
        Assert.Equal((9L, 6L), ((await admin.InventoryAsync(bolt)).StockCount, (await admin.InventoryAsync(bolt)).IncomingCount!.Value));

        // The same receipt again: its first answer, and nothing changes.
        using (var replay = await admin.Http.PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = "r1", lines = new[] { new { product_id = bolt, quantity = 4 } } }))
        {
            Assert.Equal(HttpStatusCode.OK, replay.StatusCode);
            Assert.Equal("true", replay.Headers.GetValues("Idempotent-Replayed").Single());
            var replayed = (await InventoryClient.ReadAsync<ReceiptResponse>(replay)).Ok;
            Assert.Equal(first.Ok.Receipt.ReceivedAt, replayed.Receipt.ReceivedAt);
            Assert.Equal(4, replayed.Shipment.Lines.Single(l => l.ProductId == bolt).ReceivedQuantity);
        }

        var reused = await ReceiveAsync(admin.Http, id, "r1", (bolt, 5));
        Assert.Equal((HttpStatusCode.Conflict, "idempotency_conflict"), (reused.Status, reused.Code));
        Assert.Equal(9, (await admin.InventoryAsync(bolt)).StockCount);

        // A second receipt completes the line; one unit more is refused, all or nothing across the receipt's lines.
        var second = await ReceiveAsync(admin.Http, id, "r2", (bolt, 6), (nut, 1));
        Assert.Equal(HttpStatusCode.Created, second.Status);
        Assert.Equal(ShipmentStatus.RECEIVED, second.Ok.Shipment.Lines.Single(l => l.ProductId == bolt).Status);
        var over = await ReceiveAsync(admin.Http, id, "r3", (nut, 1), (bolt, 2));
        Assert.Equal((HttpStatusCode.Conflict, "over_receipt"), (over.Status, over.Code));
        Assert.Equal((10L, 10L, 2L), (over.Extension("expected_quantity").GetInt64(), over.Extension("received_quantity").GetInt64(), over.Extension("requested").GetInt64()));
        Assert.Equal((15L, 1L), ((await admin.InventoryAsync(bolt)).StockCount, (await admin.InventoryAsync(nut)).StockCount));

        // A line that allows it takes more than it expected.
        var extra = await ReceiveAsync(admin.Http, id, "r4", (nut, 6));
        Assert.Equal(HttpStatusCode.Created, extra.Status);
        var nutLine = extra.Ok.Shipment.Lines.Single(l => l.ProductId == nut);
        Assert.Equal((7L, 0L, ShipmentStatus.RECEIVED), (nutLine.ReceivedQuantity, nutLine.IncomingCount, nutLine.Status));
        Assert.Equal((7L, 0L), ((await admin.InventoryAsync(nut)).StockCount, (await admin.InventoryAsync(nut)).IncomingCount!.Value));
        Assert.Equal(ShipmentStatus.RECEIVED, extra.Ok.Shipment.Status);

        var shipment = (await InventoryClient.ReadAsync<ShipmentView>(await admin.Http.GetAsync($"/shipments/{id}"))).Ok;
        Assert.Equal(["r1", "r2", "r4"], shipment.Receipts.Select(r => r.ReceiptId));

        // Each receipt line is one RECEIPT entry on its row, with the shipment and receipt as reference.
        var entries = await Eventually.ValueAsync(() => admin.HistoryAsync(bolt, "kind=RECEIPT"), e => e.Count == 2, "both receipts of the bolts are in the history");
        Assert.Equal([($"{id}/r2", 6L, 9L, 15L), ($"{id}/r1", 4L, 5L, 9L)], entries.Select(e => (e.Reference, e.Quantity, e.Before.StockCount, e.After.StockCount)));
        Assert.All(entries, e => Assert.Equal(("admin", $"shipment {id} (PO-{id})"), (e.By, e.Reason)));
        await service.AssertHistoryAsync([bolt, nut]);
    }

    [Fact]
    public async Task Receipts_racing_on_one_line_are_each_counted_once()
    {
        var sku = await service.CreateProductAsync(stock: 0);
        using var admin = service.Client();
        var id = NewId("po");
        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(admin, id, "main", Line(sku, 8, Soon))).Status);

        // Eight pallets booked at once from two scanners each: every receipt once, the line and the row in step.
        var statuses = await Task.WhenAll(Enumerable.Range(0, 16).Select(async i =>
        {
            using var response = await admin.PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = $"pallet-{i % 8}", lines = new[] { new { product_id = sku, quantity = 1 } } });
            return response.StatusCode;
        }));

        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.Created or HttpStatusCode.OK, $"{(int)s} {s}"));
        Assert.Equal(8, statuses.Count(s => s == HttpStatusCode.Created));
        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal((8L, 0L), (inventory.GetProperty("stock_count").GetInt64(), inventory.GetProperty("incoming_count").GetInt64()));
        var shipment = (await InventoryClient.ReadAsync<ShipmentView>(await admin.GetAsync($"/shipments/{id}"))).Ok;
        Assert.Equal((8L, 8), (shipment.Lines[0].ReceivedQuantity, shipment.Receipts.Count));
        await service.AssertHistoryAsync([sku]);
    }

    [Fact]
    public async Task Shipments_and_receipts_that_cannot_be_are_refused_with_problem_json()
    {
        var sku = await service.CreateProductAsync(stock: 0);
        var other = await service.CreateProductAsync(stock: 0);
        using var admin = service.Client();
        var id = NewId("po");

        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = Array.Empty<object>() }), 400, "validation_failed");
        var many = Enumerable.Range(0, ShipmentStoreLimits.Lines + 1).Select(i => Line($"p-{i}", 1, Soon)).ToArray();
        var tooMany = await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = many }), 400, "validation_failed");
        Assert.True(tooMany.GetProperty("errors").TryGetProperty("lines", out _));
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = new[] { Line(sku, 1, Soon), Line(sku, 2, Soon) } }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = new[] { Line(sku, 0, Soon) } }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = new[] { new { product_id = sku, expected_quantity = 1, expected_date = "next week" } } }), 400, "invalid_request");
        var nowhere = await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", warehouse_id = "east", lines = new[] { Line(sku, 1, Soon) } }), 404, "warehouse_not_found");
        Assert.Equal("east", nowhere.GetProperty("warehouse_id").GetString());
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments", new { shipment_id = id, supplier_reference = "PO-1", lines = new[] { Line("no-such-product", 1, Soon) } }), 404, "product_not_found");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("incoming_count").GetInt64());

        Assert.Equal(HttpStatusCode.Created, (await CreateAsync(admin, id, "main", Line(sku, 5, Soon))).Status);
        var repeat = await CreateAsync(admin, id, "main", Line(sku, 5, Soon));
        Assert.Equal(HttpStatusCode.OK, repeat.Status);
        var clash = await CreateAsync(admin, id, "main", Line(sku, 6, Soon));
        Assert.Equal((HttpStatusCode.Conflict, "idempotency_conflict"), (clash.Status, clash.Code));

        var notOnIt = await TestService.AssertProblemAsync(await admin.PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = "r1", lines = new[] { new { product_id = other, quantity = 1 } } }), 400, "validation_failed");
        Assert.True(notOnIt.GetProperty("errors").TryGetProperty("lines[0].product_id", out _));
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = "r1", lines = new[] { new { product_id = sku, quantity = 0 } } }), 400, "validation_failed");
        var bigReceipt = Enumerable.Range(0, ShipmentStoreLimits.ReceiptLines + 1).Select(i => new { product_id = $"p-{i}", quantity = 1 }).ToArray();
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = "r1", lines = bigReceipt }), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.PostAsJsonAsync("/shipments/no-such-shipment/receipts", new { receipt_id = "r1", lines = new[] { new { product_id = sku, quantity = 1 } } }), 404, "shipment_not_found");
        await TestService.AssertProblemAsync(await admin.GetAsync("/shipments/no-such-shipment"), 404, "shipment_not_found");
        await TestService.AssertProblemAsync(await admin.PostAsync("/shipments/no-such-shipment/close", null), 404, "shipment_not_found");
        await TestService.AssertProblemAsync(await admin.GetAsync("/shipments"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/shipments?product_id={sku}&status=closed"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReserveKey).PostAsJsonAsync($"/shipments/{id}/receipts", new { receipt_id = "r1", lines = new[] { new { product_id = sku, quantity = 1 } } }), 403, "forbidden");
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("stock_count").GetInt64());
    }
}

/// <summary>The documented caps, as the service has them.</summary>
internal static class ShipmentStoreLimits
{
    public const int Lines = Inventory.Api.Features.Shipments.ShipmentCommands.MaxShipmentLines;
    public const int ReceiptLines = Inventory.Api.Features.Shipments.ShipmentCommands.MaxReceiptLines;
}

/// <summary>A product page does not fail for want of a delivery date: without the shipments table, stock is answered without incoming units.</summary>
public class IncomingUnavailableTests(TestService service) : IClassFixture<TestService>
{
    [Fact]
    public async Task Stock_is_answered_without_incoming_units_when_the_shipments_cannot_be_read()
    {
        var sku = await service.CreateProductAsync(stock: 7);
        Assert.Equal(0, (await service.GetInventoryAsync(sku)).GetProperty("incoming_count").GetInt64());

        var table = service.Get<Microsoft.Extensions.Options.IOptions<Inventory.Api.Storage.StorageOptions>>().Value.ShipmentsTable;
        await service.Dynamo.DeleteTableAsync(table);

        var inventory = await service.GetInventoryAsync(sku);
        Assert.Equal(7, inventory.GetProperty("available_count").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, inventory.GetProperty("incoming_count").ValueKind);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, inventory.GetProperty("warehouses")[0].GetProperty("incoming_count").ValueKind);
    }
}
