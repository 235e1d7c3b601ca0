using System.Net;
using System.Net.Http.Json;
using System.Text;
using Inventory.Api.Features.Imports;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>The service with exports reading ten rows per page, so a few dozen rows take several pages.</summary>
public sealed class SmallPageService : TestService
{
    protected override IEnumerable<string> ExtraArgs => ["--Exports:PageSize=10"];
}

/// <summary>
/// CSV exports through the real service: every row of the stock (or of a category) across many pages, streamed, in the
/// import's columns so the file imports again unchanged; a product's history with every entry; cells a spreadsheet
/// would run as formulas written as text.
/// </summary>
public class ExportTests(SmallPageService service) : IClassFixture<SmallPageService>
{
    /// <summary>RFC 4180 records: quoted cells may hold commas, quotes (doubled) and line breaks.</summary>
    public static List<string[]> ParseCsv(string text)
    {
        var records = new List<string[]>();
        var cells = new List<string>();
        var cell = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    cell.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    cell.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                cells.Add(cell.ToString());
                cell.Clear();
            }
            else if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                i++;
                cells.Add(cell.ToString());
                cell.Clear();
                records.Add([.. cells]);
                cells.Clear();
            }
            else
            {
                cell.Append(c);
            }
        }

        Assert.True(cell.Length == 0 && cells.Count == 0, "the CSV does not end with CRLF");
        return records;
    }

    private async Task<(HttpResponseMessage Response, List<string[]> Records)> ExportAsync(string path)
    {
        using var admin = service.Client();
        var response = await admin.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        Assert.False(text.StartsWith('\uFEFF'), "the export starts with a byte order mark");
        return (response, ParseCsv(text));
    }

    [Fact]
    [Trait(Lanes.Name, Lanes.Load)]
    public async Task The_stock_export_streams_every_row_of_many_pages_and_imports_again_unchanged()
    {
        var category = "cat-" + Guid.NewGuid().ToString("N")[..8];
        var skus = new List<string>();
        foreach (var batch in Enumerable.Range(0, 35).Chunk(8))
        {
            skus.AddRange(await Task.WhenAll(batch.Select(i => service.CreateProductAsync(stock: 10 + i, threshold: 3, category: category))));
        }

        using (var platform = service.Api(TestService.ReserveKey))
        {
            Assert.Equal(HttpStatusCode.Created, (await platform.HoldAsync(skus[0], 4, "cart-export")).Status);
        }

        var (response, records) = await ExportAsync($"/admin/exports/stock?category={category}");
        // Streamed: written as pages arrive, so its length is not known when it starts.
        Assert.True(response.Headers.TransferEncodingChunked, "the export was not sent in chunks");
        Assert.Contains("attachment", response.Content.Headers.ContentDisposition?.DispositionType ?? "");
        Assert.Equal(
            ["product_id", "warehouse_id", "stock", "adjust", "reason", "threshold", "reserved", "available", "status", "category", "version", "last_updated"],
            records[0]);
        var rows = records.Skip(1).ToList();
        Assert.Equal(skus.Order(StringComparer.Ordinal), rows.Select(r => r[0]).Order(StringComparer.Ordinal));
        var first = rows.Single(r => r[0] == skus[0]);
        Assert.Equal(["main", "10", "", "", "3", "4", "6", "IN_STOCK", category], first[1..10]);

        // Every row of the table (no filter) has its line too.
        var (_, everything) = await ExportAsync("/admin/exports/stock");
        Assert.Superset(skus.ToHashSet(), everything.Skip(1).Select(r => r[0]).ToHashSet());

        // In parts, as a client behind API Gateway reads it: each part names where the next resumes, and together they
        // hold every row once.
        var parts = new List<string>();
        var partCount = 0;
        string? token = null;
        do
        {
            using var admin0 = service.Client();
            using var part = await admin0.GetAsync($"/admin/exports/stock?category={category}&limit=15" + (token is null ? "" : "&next_token=" + Uri.EscapeDataString(token)));
            Assert.Equal(HttpStatusCode.OK, part.StatusCode);
            var partRecords = ParseCsv(await part.Content.ReadAsStringAsync());
            Assert.Equal("product_id", partRecords[0][0]);
            Assert.True(partRecords.Count - 1 <= 15, $"a part of limit 15 held {partRecords.Count - 1} lines");
            parts.AddRange(partRecords.Skip(1).Select(r => r[0]));
            token = part.Headers.TryGetValues("X-Next-Token", out var next) ? next.Single() : null;
            partCount++;
        }
        while (token is not null);

        Assert.True(partCount >= 3, $"{skus.Count} rows came in {partCount} parts of 15");
        Assert.Equal(skus.Order(StringComparer.Ordinal), parts.Order(StringComparer.Ordinal));

        // The file imports again as it is: each line finds its row unchanged.
        using var admin = service.Client();
        var lines = rows.Select((r, i) => (object)new { line = i + 2, product_id = r[0], warehouse_id = r[1], stock = r[2], adjust = r[3], reason = r[4], threshold = r[5] }).ToArray();
        var dry = (await InventoryClient.ReadAsync<ImportLinesResponse>(await admin.PostAsJsonAsync($"/imports/reimport-{category}/lines?dry_run=true", new { lines }))).Ok;
        Assert.Equal(new ImportSummaryView(0, 0, 0, rows.Count, 0), dry.Summary);
    }

    [Fact]
    public async Task The_history_export_has_every_entry_of_many_pages_with_formula_cells_written_as_text()
    {
        var sku = await service.CreateProductAsync(stock: 50);
        using var admin = service.Client();
        for (var i = 0; i < 24; i++)
        {
            using var adjust = new HttpRequestMessage(HttpMethod.Post, $"/inventory/{sku}/adjustments")
            {
                Content = JsonContent.Create(new { delta = i % 2 == 0 ? 2 : -1, reason = i == 0 ? "=HYPERLINK(\"http://x\",\"y\")" : $"count, {i}" }),
            };
            adjust.Headers.Add("Idempotency-Key", $"export-{i}");
            Assert.Equal(HttpStatusCode.OK, (await admin.SendAsync(adjust)).StatusCode);
        }

        using var api = service.Api();
        var entries = await Eventually.ValueAsync(() => api.HistoryAsync(sku), h => h.Count >= 26, "the history holds every adjustment");
        var (_, records) = await ExportAsync($"/admin/exports/history/{sku}");
        Assert.Equal("at", records[0][0]);
        var lines = records.Skip(1).ToList();
        Assert.Equal(entries.Count, lines.Count);
        Assert.Equal(entries.Select(e => e.Sequence.ToString(System.Globalization.CultureInfo.InvariantCulture)), lines.Select(l => l[3]));
        Assert.Equal(entries.Select(e => e.Kind.ToString()), lines.Select(l => l[4]));
        Assert.Contains(lines, l => l[5] == "-1" && l[15] == "count, 1");
        Assert.Contains(lines, l => l[15] == "'=HYPERLINK(\"http://x\",\"y\")");
        Assert.All(lines, l => Assert.Equal(sku, l[1]));

        var (_, adjustments) = await ExportAsync($"/admin/exports/history/{sku}?kind=ADJUSTMENT&warehouse_id=main");
        Assert.Equal(24, adjustments.Count - 1);

        using (var firstPart = await admin.GetAsync($"/admin/exports/history/{sku}?limit=20"))
        {
            var partLines = ParseCsv(await firstPart.Content.ReadAsStringAsync()).Skip(1).ToList();
            Assert.Equal(20, partLines.Count);
            var next = firstPart.Headers.GetValues("X-Next-Token").Single();
            using var rest = await admin.GetAsync($"/admin/exports/history/{sku}?limit=20&next_token={Uri.EscapeDataString(next)}");
            Assert.False(rest.Headers.Contains("X-Next-Token"));
            partLines.AddRange(ParseCsv(await rest.Content.ReadAsStringAsync()).Skip(1));
            Assert.Equal(lines.Select(l => l[3]), partLines.Select(l => l[3]));
        }

        await TestService.AssertProblemAsync(await admin.GetAsync($"/admin/exports/history/{sku}?limit=0"), 400, "validation_failed");

        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/exports/history/no-such-product"), 404, "product_not_found");
        await TestService.AssertProblemAsync(await admin.GetAsync($"/admin/exports/history/{sku}?kind=NOPE"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await admin.GetAsync("/admin/exports/stock?status=NOPE"), 400, "validation_failed");
        await TestService.AssertProblemAsync(await service.Client(TestService.ReadKey).GetAsync("/admin/exports/stock"), 403, "forbidden");
    }
}
