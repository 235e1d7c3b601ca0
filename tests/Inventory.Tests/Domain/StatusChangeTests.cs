using System.Text.Json;
using Inventory.Api.Domain;
using Inventory.Api.Storage;
using Inventory.Api.Projections;

namespace Inventory.Tests.Domain;

/// <summary>How a change record of the stock table is read and judged: pure, no DynamoDB.</summary>
public class StatusChangeTests
{
    [Theory]
    [InlineData(StockStatus.IN_STOCK, StockStatus.IN_STOCK, StockStatus.IN_STOCK, false)] // the usual hold
    [InlineData(StockStatus.IN_STOCK, StockStatus.LOW_STOCK, StockStatus.IN_STOCK, true)] // the counts cross the threshold
    [InlineData(StockStatus.LOW_STOCK, StockStatus.IN_STOCK, StockStatus.IN_STOCK, true)] // moved back before the move was stored
    [InlineData(StockStatus.LOW_STOCK, StockStatus.LOW_STOCK, StockStatus.IN_STOCK, true)] // a status edited by hand, or lagging
    [InlineData(null, StockStatus.IN_STOCK, StockStatus.IN_STOCK, true)] // a new row: look once
    [InlineData(StockStatus.OUT_OF_STOCK, StockStatus.OUT_OF_STOCK, null, true)] // no status stored at all
    public void A_change_needs_attention_only_when_its_counts_move_the_status_or_the_row_stores_another(
        StockStatus? before, StockStatus after, StockStatus? stored, bool expected) =>
        Assert.Equal(expected, StatusChanges.NeedsAttention(before, after, stored));

    [Fact]
    public void A_transition_is_stamped_when_recorded_but_always_after_the_previous_one()
    {
        var t = new DateTimeOffset(2026, 11, 29, 10, 0, 0, TimeSpan.Zero);
        Assert.Equal(t, StatusChanges.TransitionTime(t, null));
        Assert.Equal(t, StatusChanges.TransitionTime(t, t.AddSeconds(-1)));
        Assert.Equal(t.AddMilliseconds(1), StatusChanges.TransitionTime(t, t)); // same millisecond
        Assert.Equal(t.AddSeconds(2).AddMilliseconds(1), StatusChanges.TransitionTime(t, t.AddSeconds(2))); // a writer's clock behind
    }

    [Fact]
    public void Padded_sequence_numbers_sort_as_numbers()
    {
        string[] numbers = ["9", "10", "111000000000000000000001", "4100000000019118544662"];
        var ordered = numbers.OrderBy(StatusProjection.SequenceKey, StringComparer.Ordinal).ToArray();
        Assert.Equal(["9", "10", "4100000000019118544662", "111000000000000000000001"], ordered);
    }

    [Fact]
    public void A_lambda_stream_record_is_read_with_both_images_and_every_attribute_type()
    {
        using var record = JsonDocument.Parse("""
            { "eventID": "1", "eventName": "MODIFY", "eventSource": "aws:dynamodb",
              "dynamodb": { "SequenceNumber": "111000000000000000000042",
                "Keys": { "product_id": { "S": "p" }, "warehouse_id": { "S": "main" } },
                "OldImage": { "product_id": { "S": "p" }, "stock_count": { "N": "10" } },
                "NewImage": { "product_id": { "S": "p" }, "stock_count": { "N": "9" }, "flag": { "BOOL": true }, "gone": { "NULL": true },
                  "tags": { "SS": ["a", "b"] }, "nested": { "M": { "n": { "N": "1" } } }, "list": { "L": [ { "S": "x" } ] },
                  "blob": { "B": "AAE=" } } } }
            """);

        var change = ChangeRecords.Parse(record.RootElement)!;

        Assert.Equal("111000000000000000000042", change.SequenceNumber);
        Assert.Equal("10", change.OldImage!["stock_count"].N);
        Assert.Equal("9", change.NewImage!["stock_count"].N);
        Assert.True(change.NewImage["flag"].BOOL);
        Assert.True(change.NewImage["gone"].NULL);
        Assert.Equal(["a", "b"], change.NewImage["tags"].SS);
        Assert.Equal("1", change.NewImage["nested"].M["n"].N);
        Assert.Equal("x", change.NewImage["list"].L[0].S);
        Assert.False(change.NewImage.ContainsKey("blob")); // binary values are not used by any table here
    }

    [Theory]
    [InlineData("""{ "eventSource": "aws:dynamodb", "dynamodb": { "NewImage": {} } }""")] // no sequence number
    [InlineData("""{ "dynamodb": { "SequenceNumber": "12a" } }""")] // not a number
    [InlineData("""{ "dynamodb": { "SequenceNumber": 12 } }""")]
    [InlineData("""{ "messageId": "m", "body": "{}" }""")] // an SQS record
    [InlineData("""[]""")]
    public void Anything_that_is_not_a_stream_record_is_not_read_as_one(string json)
    {
        using var record = JsonDocument.Parse(json);
        Assert.Null(ChangeRecords.Parse(record.RootElement));
    }

    [Fact]
    public void A_removed_row_has_no_new_image()
    {
        using var record = JsonDocument.Parse("""{ "dynamodb": { "SequenceNumber": "5", "OldImage": { "stock_count": { "N": "1" } } } }""");
        var change = ChangeRecords.Parse(record.RootElement)!;
        Assert.Null(change.NewImage);
        Assert.NotNull(change.OldImage);
    }
}
