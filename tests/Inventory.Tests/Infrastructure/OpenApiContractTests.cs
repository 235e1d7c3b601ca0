using System.Text.Json;
using Inventory.Tests.Support;

namespace Inventory.Tests.Infrastructure;

/// <summary>The contract check itself: each way an answer can break a document is caught, and a conforming answer passes.</summary>
public class OpenApiContractTests
{
    private static readonly OpenApiContract Contract = OpenApiContract.FromDocument(JsonDocument.Parse("""
        {
          "openapi": "3.1.1",
          "paths": {
            "/things/{id}": {
              "get": {
                "responses": {
                  "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Thing" } } } },
                  "404": { "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } } }
                }
              },
              "delete": { "responses": { "204": { "description": "Gone" } } }
            },
            "/things/count": { "get": { "responses": { "200": { "content": { "application/json": { "schema": { "type": "integer" } } } } } } }
          },
          "components": {
            "schemas": {
              "Thing": {
                "type": "object", "required": ["id", "count"], "additionalProperties": false,
                "properties": { "id": { "type": "string" }, "count": { "type": "integer" } }
              },
              "Problem": {
                "type": "object", "required": ["type", "title", "status", "detail", "code", "trace_id"],
                "properties": {
                  "type": { "type": "string" }, "title": { "type": "string" }, "status": { "type": "integer" },
                  "detail": { "type": "string" }, "code": { "type": "string" }, "trace_id": { "type": "string" }
                }
              }
            }
          }
        }
        """).RootElement);

    private const string Problem404 = """{"type":"t","title":"Not found.","status":404,"detail":"No such thing.","code":"not_found","trace_id":"x"}""";

    [Theory]
    [InlineData("GET", "/things/a", 200, "application/json", """{"id":"a","count":1}""")]
    [InlineData("GET", "/things/count", 200, "application/json", "3")]
    [InlineData("GET", "/things/a", 404, "application/problem+json", Problem404)]
    [InlineData("DELETE", "/things/a", 204, null, null)]
    [InlineData("GET", "/nowhere", 404, "application/problem+json", Problem404)]
    public void A_conforming_answer_passes(string method, string path, int status, string? mediaType, string? body) =>
        Assert.Empty(Contract.Violations(method, path, status, mediaType, body, out _));

    [Theory]
    [InlineData("GET", "/things/a", 500, "application/problem+json", Problem404, "not declared")]
    [InlineData("GET", "/things/a", 200, "application/json", """{"id":"a"}""", "required")]
    [InlineData("GET", "/things/a", 200, "application/json", """{"id":"a","count":1,"extra":true}""", "additionalProperties")]
    [InlineData("GET", "/things/a", 200, "application/json", """{"id":"a","count":"1"}""", "type")]
    [InlineData("GET", "/things/a", 200, "text/plain", "a", "media type")]
    [InlineData("GET", "/things/count", 200, "application/json", "\"3\"", "type")]
    [InlineData("DELETE", "/things/a", 204, "application/json", "{}", "media type")]
    [InlineData("GET", "/things/a", 404, "application/problem+json", """{"type":"t","status":404,"code":"not_found","trace_id":"x"}""", "required")]
    [InlineData("GET", "/nowhere", 404, "application/json", """{"error":"nope"}""", "problem+json")]
    [InlineData("GET", "/nowhere", 405, "application/problem+json", Problem404, "states status 404")]
    [InlineData("GET", "/things/a", 404, "application/problem+json", """{"type":"t","title":"Bad","status":404,"detail":"The JSON value could not be converted to System.Int64.","code":"not_found","trace_id":"x"}""", "speaks of the implementation")]
    public void Each_kind_of_break_is_caught(string method, string path, int status, string? mediaType, string? body, string expected)
    {
        var violations = Contract.Violations(method, path, status, mediaType, body, out _);
        Assert.Contains(violations, v => v.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_literal_path_is_matched_before_a_parameter()
    {
        Contract.Violations("GET", "/things/count", 200, "application/json", "3", out var operation);
        Assert.Equal("GET /things/count", operation);
    }
}
