using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Inventory.Tests.Support;

namespace Inventory.Tests.Api;

/// <summary>
/// Thousands of malformed requests over every endpoint, from a fixed seed (so a failure reproduces): wrong types,
/// odd strings, missing and extra fields, broken JSON, invalid UTF-8, foreign content types and Accept headers,
/// bad query values and tokens, every kind of key. No answer may be a 5xx, every error must be problem JSON with
/// a code, and the stock invariants must hold afterwards.
/// </summary>
public class FuzzTests(TestService service) : IClassFixture<TestService>
{
    private const int Seed = 20261123;
    private const int Requests = 3000;

    private static readonly string[] Fields =
    [
        "quantity", "reservation_id", "warehouse_id", "ttl_seconds", "items", "lines", "product_id", "sku", "stock_count",
        "threshold_level", "category", "expected_version", "delta", "reason", "name", "price", "image_url", "description", "scope",
    ];

    [Fact]
    public async Task No_malformed_request_gets_a_5xx_or_an_error_without_a_code_and_the_invariants_hold()
    {
        var skus = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            skus.Add(await service.CreateProductAsync(stock: 50, threshold: 5));
        }

        var random = new Random(Seed);
        var requests = Enumerable.Range(0, Requests).Select(_ => Build(random, skus)).ToList();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var http = new HttpClient(OpenApiContract.Checking(new SocketsHttpHandler())) { BaseAddress = service.BaseAddress };

        await Parallel.ForEachAsync(requests, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (make, ct) =>
        {
            using var request = make();
            var description = $"{request.Method} {request.RequestUri} [{request.Content?.Headers.ContentType}]";
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if ((int)response.StatusCode >= 500)
            {
                failures.Add($"{(int)response.StatusCode} for {description}: {body}");
            }
            else if ((int)response.StatusCode >= 400 && !HasCode(response, body))
            {
                failures.Add($"{(int)response.StatusCode} without a problem code for {description}: {body}");
            }
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} bad answers, e.g.:\n" + string.Join("\n", failures.Take(10)));
        await service.AssertInvariantsAsync([.. skus]);
    }

    private static bool HasCode(HttpResponseMessage response, string body)
    {
        if (response.Content.Headers.ContentType?.MediaType is not ("application/problem+json" or "application/json"))
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(body) is JsonObject problem && problem["code"] is JsonValue;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static Func<HttpRequestMessage> Build(Random random, List<string> skus)
    {
        var sku = Pick<string>(random, [.. skus, "ghost", "", "a b", "%2F..%2F", "x:y", new string('z', 200), "ü"]);
        var id = Uri.EscapeDataString(sku);
        (HttpMethod Method, string Path) route = Pick(random,
        [
            (HttpMethod.Get, $"/inventory/{id}"), (HttpMethod.Put, $"/inventory/{id}"), (HttpMethod.Post, $"/inventory/{id}/adjustments"),
            (HttpMethod.Get, "/inventory"), (HttpMethod.Post, "/inventory/check"), (HttpMethod.Post, $"/inventory/{id}/reserve"),
            (HttpMethod.Get, $"/inventory/{id}/reserve/r1"), (HttpMethod.Post, $"/inventory/{id}/reserve/r1/extend"),
            (HttpMethod.Delete, $"/inventory/{id}/reserve/r1"), (HttpMethod.Get, $"/inventory/{id}/reservations"),
            (HttpMethod.Post, "/reservations"), (HttpMethod.Post, $"/orders/o-{random.Next(50)}/fulfil"), (HttpMethod.Post, "/products"),
            (HttpMethod.Get, "/products"), (HttpMethod.Get, $"/products/{id}"), (HttpMethod.Get, "/admin/alerts"),
            (HttpMethod.Get, "/admin/invariants"), (HttpMethod.Get, "/admin/keys"), (HttpMethod.Post, "/admin/keys"),
            (HttpMethod.Delete, $"/admin/keys/{id}"), (HttpMethod.Post, "/events"), (HttpMethod.Patch, $"/inventory/{id}"),
        ]);
        var query = random.Next(3) == 0 ? "?" + string.Join('&', Enumerable.Range(0, random.Next(1, 4)).Select(_ => Pick(random,
        [
            $"limit={Pick(random, ["0", "-1", "5", "99999", "abc", "5%00", "%205", "1e3"])}",
            $"status={Pick(random, ["IN_STOCK", "0", "IN_STOCK,LOW_STOCK", "low_stock", "ACTIVE", ""])}",
            $"next_token={Pick(random, ["garbage", "eyJmb28iOiJiYXIifQ", "eyJza3UiOiIjMyJ9", "%FF%FE", ""])}",
            $"category={Pick(random, ["apparel", "", "a b", "%00"])}", $"product_id={id}",
        ]))) : string.Empty;
        var key = Pick<string?>(random, [TestService.ReadKey, TestService.ReserveKey, TestService.AdminKey, TestService.AdminKey, null, "wrong", ""]);
        var content = Body(random, skus);
        var contentType = Pick(random, ["application/json", "application/json", "application/json; charset=utf-8", "application/json; charset=nonsense", "text/plain", "application/xml", ""]);
        var accept = Pick<string?>(random, [null, null, "application/json", "application/xml", "text/html", "*/*"]);
        var idempotencyKey = Pick<string?>(random, [null, "k1", "", "x:k1", new string('k', 300)]);
        var ifMatch = Pick<string?>(random, [null, "\"1\"", "garbage", "*"]);

        return () =>
        {
            var request = new HttpRequestMessage(route.Method, route.Path + query);
            if (key is not null)
            {
                request.Headers.TryAddWithoutValidation("x-api-key", key);
            }

            if (route.Method != HttpMethod.Get && route.Method != HttpMethod.Delete && content is not null)
            {
                request.Content = new ByteArrayContent(content);
                if (contentType.Length > 0)
                {
                    request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
                }
            }

            if (accept is not null)
            {
                request.Headers.TryAddWithoutValidation("Accept", accept);
            }

            if (idempotencyKey is not null)
            {
                request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
            }

            if (ifMatch is not null)
            {
                request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
            }

            return request;
        };
    }

    private static byte[]? Body(Random random, List<string> skus)
    {
        switch (random.Next(12))
        {
            case 0:
                return null;
            case 1:
                return Encoding.UTF8.GetBytes(Pick(random, ["", "{", "[1,2", "null", "\"x\"", "{\"quantity\":}", "{} {}", "{\"a\":1,\"a\":2}"]));
            case 2:
                return [(byte)'{', (byte)'"', 0xFF, 0xFE, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
            case 3:
                return Encoding.UTF8.GetBytes("""{"Records":[{"messageId":"m1","body":"{\"type\":\"ReserveInventory\",\"order_id\":\"o\",\"items\":[{\"sku\":1,\"quantity\":\"2\"}]}"},{"body":3},7]}""");
            case 4:
                return Encoding.UTF8.GetBytes("""{"type":"TOKEN","authorizationToken":"\ud800","methodArn":"arn:aws:execute-api:x"}""");
            default:
                var body = new JsonObject();
                foreach (var field in Fields.Where(_ => random.Next(3) == 0))
                {
                    body[field] = Value(random, skus, depth: 0);
                }

                return Encoding.UTF8.GetBytes(body.ToJsonString());
        }
    }

    private static JsonNode? Value(Random random, List<string> skus, int depth) => random.Next(depth > 1 ? 9 : 12) switch
    {
        0 => null,
        1 => JsonValue.Create(Pick(random, ["", " ", "main", "r1", "\u0000", "a\u202Eb", "🙂", "x:y", new string('s', 5000), "IN_STOCK", "Admin"])),
        2 => JsonValue.Create(Pick<long>(random, [0L, -1L, 1L, 5L, 1_000_000_001L, long.MaxValue, long.MinValue])),
        3 => JsonValue.Create(Pick<double>(random, [0.5, 1e3, -0.0, 1e300])),
        4 => JsonValue.Create(random.Next(2) == 0),
        5 => JsonValue.Create(Pick(random, skus.ToArray())),
        6 => JsonValue.Create(random.Next(1, 4)),
        7 => JsonValue.Create("main"),
        8 => JsonValue.Create(Pick(random, skus.ToArray())),
        9 => new JsonArray(Enumerable.Range(0, random.Next(0, 4)).Select(_ => (JsonNode?)Line(random, skus, depth)).ToArray()),
        10 => new JsonArray(Enumerable.Range(0, random.Next(0, 3)).Select(_ => Value(random, skus, depth + 1)).ToArray()),
        _ => Line(random, skus, depth),
    };

    private static readonly string[] LineFields = ["product_id", "sku", "quantity", "reservation_id", "warehouse_id"];

    private static JsonObject Line(Random random, List<string> skus, int depth)
    {
        var line = new JsonObject();
        foreach (var field in LineFields.Where(_ => random.Next(2) == 0))
        {
            line[field] = depth > 1 ? JsonValue.Create(1) : Value(random, skus, depth + 1);
        }

        return line;
    }

    private static T Pick<T>(Random random, T[] options) => options[random.Next(options.Length)];
}
