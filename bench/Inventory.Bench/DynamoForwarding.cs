using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;

namespace Inventory.Bench;

/// <summary>A DynamoDB call as received by one of the proxies in front of DynamoDB Local, and its answer.</summary>
public sealed record ForwardedAnswer(int Status, IReadOnlyList<(string Name, string[] Values)> Headers, byte[] Body);

/// <summary>
/// How the proxies in front of DynamoDB Local (<see cref="CostRecordingProxy"/>, <see cref="PartitionBudgetProxy"/>)
/// pass a call on and its answer back: the same method, path, headers (the signature included) and body, and the
/// answer as DynamoDB Local gave it.
/// </summary>
public static class DynamoForwarding
{
    private static readonly HttpClient Upstream = new();

    public static async Task<ForwardedAnswer> SendAsync(HttpContext http, Uri upstream, byte[] body)
    {
        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(upstream, http.Request.Path + http.Request.QueryString))
        {
            Content = new ByteArrayContent(body),
        };
        foreach (var (name, values) in http.Request.Headers)
        {
            if (name.Equals("content-type", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(values.ToString());
            }
            else if (!name.Equals("host", StringComparison.OrdinalIgnoreCase) && !name.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.TryAddWithoutValidation(name, values.ToArray());
            }
        }

        using var response = await Upstream.SendAsync(request);
        var answer = await response.Content.ReadAsByteArrayAsync();
        var headers = response.Headers.Concat(response.Content.Headers)
            .Where(h => !h.Key.Equals("transfer-encoding", StringComparison.OrdinalIgnoreCase) && !h.Key.Equals("content-length", StringComparison.OrdinalIgnoreCase))
            .Select(h => (h.Key, h.Value.ToArray()))
            .ToList();
        return new ForwardedAnswer((int)response.StatusCode, headers, answer);
    }

    public static async Task ReplyAsync(HttpContext http, ForwardedAnswer answer)
    {
        http.Response.StatusCode = answer.Status;
        foreach (var (name, values) in answer.Headers)
        {
            http.Response.Headers[name] = values;
        }

        await http.Response.Body.WriteAsync(answer.Body);
    }
}
