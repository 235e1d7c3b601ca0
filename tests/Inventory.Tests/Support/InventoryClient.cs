using System.Net;
using System.Net.Http.Json;
using Inventory.Api.Domain;
using Inventory.Api.Features.History;
using Inventory.Api.Features.Inventory;
using Inventory.Api.Features.Reservations;
using Inventory.Api.Infrastructure;
using Inventory.Api.Storage;

namespace Inventory.Tests.Support;

/// <summary>An answer: its status, and the body as the type the call returns on success, or the problem otherwise.</summary>
public sealed record Answer<T>(HttpStatusCode Status, T? Body, Microsoft.AspNetCore.Mvc.ProblemDetails? Problem)
{
    public string? Code => Problem?.Extensions.TryGetValue("code", out var code) == true ? code?.ToString() : null;

    /// <summary>A field the problem carries besides the standard ones (available_count, current, items, ...).</summary>
    public System.Text.Json.JsonElement Extension(string name) =>
        Problem?.Extensions.TryGetValue(name, out var value) == true && value is System.Text.Json.JsonElement element
            ? element
            : throw new Xunit.Sdk.XunitException($"The answer ({(int)Status} {Code}) has no {name}");

    public T Ok => Body ?? throw new Xunit.Sdk.XunitException($"Expected a success, got {(int)Status} {Code}: {Problem?.Detail}");
}

/// <summary>
/// A typed client of the service for the tests: the service's own answer types, read with the service's own JSON
/// settings, which refuse unknown fields, so an answer that grows or loses a field fails the test that reads it.
/// </summary>
public sealed class InventoryClient(HttpClient http) : IDisposable
{
    public HttpClient Http => http;

    public async Task<InventoryView> InventoryAsync(string productId) =>
        (await ReadAsync<InventoryView>(await http.GetAsync($"/inventory/{productId}"))).Ok;

    public async Task<Answer<ReservationView>> HoldAsync(string productId, long quantity, string reservationId, string? warehouseId = "main", int? ttlSeconds = null) =>
        await ReadAsync<ReservationView>(await http.PostAsJsonAsync(
            $"/inventory/{productId}/reserve", new { quantity, reservation_id = reservationId, warehouse_id = warehouseId, ttl_seconds = ttlSeconds }));

    public async Task<HttpStatusCode> ReleaseAsync(string productId, string reservationId)
    {
        using var response = await http.DeleteAsync($"/inventory/{productId}/reserve/{reservationId}");
        return response.StatusCode;
    }

    public async Task<ReservationView> ReservationAsync(string productId, string reservationId) =>
        (await ReadAsync<ReservationView>(await http.GetAsync($"/inventory/{productId}/reserve/{reservationId}"))).Ok;

    /// <summary>One hold of several items, all or nothing.</summary>
    public async Task<Answer<OrderReservationView>> HoldOrderAsync(string reservationId, IEnumerable<(string ProductId, long Quantity)> items) =>
        await ReadAsync<OrderReservationView>(await http.PostAsJsonAsync("/reservations", new
        {
            reservation_id = reservationId,
            items = items.Select(i => new { product_id = i.ProductId, quantity = i.Quantity, warehouse_id = "main" }),
        }));

    /// <summary>Every row the listing by status gives, page after page.</summary>
    public async Task<List<InventoryRowView>> ListAsync(StockStatus status)
    {
        var rows = new List<InventoryRowView>();
        string? token = null;
        do
        {
            var page = (await ReadAsync<PageView<InventoryRowView>>(await http.GetAsync(
                $"/inventory?status={status}&limit=100" + (token is null ? "" : "&next_token=" + token)))).Ok;
            rows.AddRange(page.Items);
            token = page.NextToken;
        }
        while (token is not null);

        return rows;
    }

    /// <summary>The product's status-transition alerts, oldest first, read page by page.</summary>
    public async Task<List<StockAlert>> AlertsAsync(string productId)
    {
        var alerts = new List<StockAlert>();
        string? token = null;
        do
        {
            var page = (await ReadAsync<PageView<StockAlert>>(await http.GetAsync(
                "/admin/alerts?limit=100" + (token is null ? "" : "&next_token=" + token)))).Ok;
            alerts.AddRange(page.Items.Where(a => a.ProductId == productId));
            token = page.NextToken;
        }
        while (token is not null);

        alerts.Reverse();
        return alerts;
    }

    /// <summary>One page of a product's stock history; <paramref name="query"/> is the rest of the query string (filters, limit, token).</summary>
    public async Task<Answer<PageView<HistoryEntryView>>> HistoryPageAsync(string productId, string query = "") =>
        await ReadAsync<PageView<HistoryEntryView>>(await http.GetAsync($"/inventory/{productId}/history?{query}"));

    /// <summary>A product's whole stock history as the listing gives it (newest first), page after page.</summary>
    public async Task<List<HistoryEntryView>> HistoryAsync(string productId, string query = "", int limit = 100)
    {
        var entries = new List<HistoryEntryView>();
        string? token = null;
        do
        {
            var page = (await HistoryPageAsync(productId, $"{query}&limit={limit}" + (token is null ? "" : "&next_token=" + Uri.EscapeDataString(token)))).Ok;
            entries.AddRange(page.Items);
            token = page.NextToken;
        }
        while (token is not null);

        return entries;
    }

    public static async Task<Answer<T>> ReadAsync<T>(HttpResponseMessage response)
    {
        using (response)
        {
            if (response.IsSuccessStatusCode)
            {
                return new Answer<T>(response.StatusCode, (await response.Content.ReadFromJsonAsync<T>(JsonSetup.Options))!, null);
            }

            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ProblemDetails>(JsonSetup.Options);
            return new Answer<T>(response.StatusCode, default, problem);
        }
    }

    public void Dispose() => http.Dispose();
}
