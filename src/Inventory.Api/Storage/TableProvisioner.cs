using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Storage;

/// <summary>
/// Creates the tables when they are missing (local runs and tests; on AWS, Terraform declares the same
/// shapes). Kept beside the attribute names so the two cannot drift apart.
/// </summary>
public sealed class TableProvisioner(IAmazonDynamoDB dynamo, IOptions<StorageOptions> options, ILogger<TableProvisioner> logger)
{
    private readonly StorageOptions storage = options.Value;

    public async Task EnsureTablesAsync(CancellationToken ct)
    {
        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.InventoryTable,
            KeySchema = [Key(Attr.ProductId, KeyType.HASH), Key(Attr.WarehouseId, KeyType.RANGE)],
            AttributeDefinitions =
            [
                Def(Attr.ProductId, ScalarAttributeType.S), Def(Attr.WarehouseId, ScalarAttributeType.S),
                Def(Attr.Category, ScalarAttributeType.S), Def(Attr.Status, ScalarAttributeType.S), Def(Attr.HotListing, ScalarAttributeType.S),
            ],
            GlobalSecondaryIndexes =
            [
                KeysOnlyIndex(Indexes.Category, Attr.Category, Attr.ProductId),
                KeysOnlyIndex(Indexes.Status, Attr.Status, Attr.ProductId),
                HotRowsIndex,
            ],
            StreamSpecification = ChangeStream,
        }, ttlAttribute: null, ct);
        await EnsureStreamAsync(storage.InventoryTable, ct);
        await EnsureIndexAsync(storage.InventoryTable, HotRowsIndex, Def(Attr.HotListing, ScalarAttributeType.S), ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.ReservationsTable,
            KeySchema = [Key(Attr.ProductId, KeyType.HASH), Key(Attr.ReservationId, KeyType.RANGE)],
            AttributeDefinitions =
            [
                Def(Attr.ProductId, ScalarAttributeType.S), Def(Attr.ReservationId, ScalarAttributeType.S),
                Def(Attr.ActiveShard, ScalarAttributeType.S), Def(Attr.ExpiresAtEpoch, ScalarAttributeType.N),
            ],
            GlobalSecondaryIndexes = [KeysOnlyIndex(Indexes.ActiveExpiry, Attr.ActiveShard, Attr.ExpiresAtEpoch)],
        }, Attr.ReservationExpiry, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.ProductsTable,
            KeySchema = [Key(Attr.Sku, KeyType.HASH)],
            AttributeDefinitions = [Def(Attr.Sku, ScalarAttributeType.S)],
        }, ttlAttribute: null, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.ProductSearchTable,
            KeySchema = [Key(Attr.SearchPrefix, KeyType.HASH), Key(Attr.SearchTerm, KeyType.RANGE)],
            AttributeDefinitions = [Def(Attr.SearchPrefix, ScalarAttributeType.S), Def(Attr.SearchTerm, ScalarAttributeType.S)],
        }, ttlAttribute: null, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.AlertsTable,
            KeySchema = [Key(Attr.AlertStream, KeyType.HASH), Key(Attr.AlertSortKey, KeyType.RANGE)],
            AttributeDefinitions = [Def(Attr.AlertStream, ScalarAttributeType.S), Def(Attr.AlertSortKey, ScalarAttributeType.S)],
            StreamSpecification = OutboxStream,
        }, Attr.Ttl, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.HistoryTable,
            KeySchema = [Key(Attr.ProductId, KeyType.HASH), Key(Attr.MoveKey, KeyType.RANGE)],
            AttributeDefinitions = [Def(Attr.ProductId, ScalarAttributeType.S), Def(Attr.MoveKey, ScalarAttributeType.S)],
        }, Attr.Ttl, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.VelocityTable,
            KeySchema = [Key(Attr.ProductId, KeyType.HASH), Key(Attr.VelocityKey, KeyType.RANGE)],
            AttributeDefinitions =
            [
                Def(Attr.ProductId, ScalarAttributeType.S), Def(Attr.VelocityKey, ScalarAttributeType.S),
                Def(Attr.CoverList, ScalarAttributeType.S), Def(Attr.CoverRank, ScalarAttributeType.S),
            ],
            // Projects everything: its sort key (the days of cover) changes with nearly every write of a cover item anyway,
            // so the index is written then whatever it projects, and a listing page is one query.
            GlobalSecondaryIndexes =
            [
                new GlobalSecondaryIndex
                {
                    IndexName = Indexes.Cover,
                    KeySchema = [Key(Attr.CoverList, KeyType.HASH), Key(Attr.CoverRank, KeyType.RANGE)],
                    Projection = new Projection { ProjectionType = ProjectionType.ALL },
                },
            ],
        }, Attr.Ttl, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.ShipmentsTable,
            KeySchema = [Key(Attr.PartitionKey, KeyType.HASH), Key(Attr.ItemKey, KeyType.RANGE)],
            AttributeDefinitions =
            [
                Def(Attr.PartitionKey, ScalarAttributeType.S), Def(Attr.ItemKey, ScalarAttributeType.S), Def(Attr.OpenKey, ScalarAttributeType.S),
            ],
            // A local index can be read strongly consistent (a global one cannot): right after a receipt, GET /inventory
            // must not count the received units both as stock and as incoming.
            LocalSecondaryIndexes =
            [
                new LocalSecondaryIndex
                {
                    IndexName = Indexes.OpenLines,
                    KeySchema = [Key(Attr.PartitionKey, KeyType.HASH), Key(Attr.OpenKey, KeyType.RANGE)],
                    Projection = new Projection { ProjectionType = ProjectionType.ALL },
                },
            ],
        }, ttlAttribute: null, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.IdempotencyTable,
            KeySchema = [Key(Attr.IdempotencyKey, KeyType.HASH)],
            AttributeDefinitions = [Def(Attr.IdempotencyKey, ScalarAttributeType.S)],
        }, Attr.Ttl, ct);

        await EnsureAsync(new CreateTableRequest
        {
            TableName = storage.ProcessedOrdersTable,
            KeySchema = [Key(Attr.OrderId, KeyType.HASH)],
            AttributeDefinitions = [Def(Attr.OrderId, ScalarAttributeType.S)],
            StreamSpecification = OutboxStream,
        }, Attr.Ttl, ct);

        if (!string.IsNullOrEmpty(storage.ApiKeysTable))
        {
            await EnsureAsync(new CreateTableRequest
            {
                TableName = storage.ApiKeysTable,
                KeySchema = [Key(Attr.KeyId, KeyType.HASH)],
                AttributeDefinitions = [Def(Attr.KeyId, ScalarAttributeType.S)],
            }, ttlAttribute: null, ct);
        }
    }

    private async Task EnsureAsync(CreateTableRequest request, string? ttlAttribute, CancellationToken ct)
    {
        request.BillingMode = BillingMode.PAY_PER_REQUEST;
        try
        {
            await dynamo.CreateTableAsync(request, ct);
            logger.LogInformation("Created table {Table}", request.TableName);
        }
        catch (ResourceInUseException)
        {
            return; // already there
        }

        if (ttlAttribute is not null)
        {
            await dynamo.UpdateTimeToLiveAsync(new UpdateTimeToLiveRequest
            {
                TableName = request.TableName,
                TimeToLiveSpecification = new TimeToLiveSpecification { AttributeName = ttlAttribute, Enabled = true },
            }, ct);
        }
    }

    /// <summary>A table made before one of its indexes existed (a local data directory kept across versions) gets it now.</summary>
    private async Task EnsureIndexAsync(string table, GlobalSecondaryIndex index, AttributeDefinition hashKey, CancellationToken ct)
    {
        var description = await dynamo.DescribeTableAsync(new DescribeTableRequest { TableName = table }, ct);
        if (description.Table.GlobalSecondaryIndexes?.Any(i => i.IndexName == index.IndexName) == true)
        {
            return;
        }

        await dynamo.UpdateTableAsync(new UpdateTableRequest
        {
            TableName = table,
            AttributeDefinitions = [hashKey, Def(Attr.ProductId, ScalarAttributeType.S)],
            GlobalSecondaryIndexUpdates =
            [
                new GlobalSecondaryIndexUpdate
                {
                    Create = new CreateGlobalSecondaryIndexAction { IndexName = index.IndexName, KeySchema = index.KeySchema, Projection = index.Projection },
                },
            ],
        }, ct);
        logger.LogInformation("Added index {Index} to table {Table}", index.IndexName, table);
    }

    /// <summary>
    /// The hot rows and their spread, read by every instance about once a second: sparse (only hot rows are in it) and
    /// carrying the two attributes a hold needs, so it is one small read.
    /// </summary>
    private static GlobalSecondaryIndex HotRowsIndex => new()
    {
        IndexName = Indexes.HotRows,
        KeySchema = [Key(Attr.HotListing, KeyType.HASH), Key(Attr.ProductId, KeyType.RANGE)],
        Projection = new Projection { ProjectionType = ProjectionType.INCLUDE, NonKeyAttributes = [Attr.SubRowCount, Attr.Folding] },
    };

    /// <summary>A table made before its stream was needed (a local data directory kept across versions) gets it now.</summary>
    private async Task EnsureStreamAsync(string table, CancellationToken ct)
    {
        var description = await dynamo.DescribeTableAsync(new DescribeTableRequest { TableName = table }, ct);
        if (description.Table.StreamSpecification is { StreamEnabled: true, StreamViewType: var view } && view == StreamViewType.NEW_AND_OLD_IMAGES)
        {
            return;
        }

        if (description.Table.StreamSpecification is { StreamEnabled: true })
        {
            await dynamo.UpdateTableAsync(new UpdateTableRequest { TableName = table, StreamSpecification = new() { StreamEnabled = false } }, ct);
        }

        await dynamo.UpdateTableAsync(new UpdateTableRequest { TableName = table, StreamSpecification = ChangeStream }, ct);
        logger.LogInformation("Enabled the change stream of table {Table}", table);
    }

    /// <summary>
    /// The stock table's stream carries every change with the row before and after: the stored status and the alerts
    /// are derived from it (the status projection).
    /// </summary>
    private static StreamSpecification ChangeStream => new() { StreamEnabled = true, StreamViewType = StreamViewType.NEW_AND_OLD_IMAGES };

    /// <summary>The outbox tables' streams carry each new record to a pipe (alerts to SNS, order outcomes to the order service).</summary>
    private static StreamSpecification OutboxStream => new() { StreamEnabled = true, StreamViewType = StreamViewType.NEW_IMAGE };

    private static KeySchemaElement Key(string name, KeyType type) => new() { AttributeName = name, KeyType = type };

    private static AttributeDefinition Def(string name, ScalarAttributeType type) => new() { AttributeName = name, AttributeType = type };

    private static GlobalSecondaryIndex KeysOnlyIndex(string name, string hash, string range) => new()
    {
        IndexName = name,
        KeySchema = [Key(hash, KeyType.HASH), Key(range, KeyType.RANGE)],
        Projection = new Projection { ProjectionType = ProjectionType.KEYS_ONLY },
    };
}
