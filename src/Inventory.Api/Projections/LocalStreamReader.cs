using System.Text.Json;
using Amazon.DynamoDBv2;
using Amazon.DynamoDBv2.Model;
using Inventory.Api.Features.Jobs;
using Inventory.Api.Storage;
using Microsoft.Extensions.Options;

namespace Inventory.Api.Projections;

/// <summary>
/// Locally, what the stream function's event source mapping does on AWS: reads the inventory table's change stream
/// from DynamoDB Local (<see cref="LocalDynamoStreams"/>) and hands each batch, in order, to
/// <see cref="ChangeStream"/>, the one entry of the derived work. It checkpoints each shard at most once a second (<see cref="StreamCheckpoints"/>),
/// so a restart resumes about where it stopped; a kill before a checkpoint only hands those records over again, which
/// writes nothing twice.
/// </summary>
public sealed class LocalStreamReader(
    IAmazonDynamoDB dynamo, ChangeStream changes, StreamCheckpoints checkpoints, IOptions<StorageOptions> storage,
    IOptions<JobOptions> jobs, ILogger<LocalStreamReader> logger) : BackgroundService
{
    private readonly LocalDynamoStreams streams = new(
        storage.Value.ServiceUrl ?? throw new InvalidOperationException("The local stream reader needs Storage:ServiceUrl"), storage.Value.Region);

    private static readonly TimeSpan ShardRefresh = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan CheckpointEvery = TimeSpan.FromSeconds(1);

    private readonly TimeSpan idle = TimeSpan.FromMilliseconds(Math.Max(10, jobs.Value.StreamPollIntervalMilliseconds));
    private readonly TimeSpan giveUpAfter = TimeSpan.FromSeconds(Math.Max(0, jobs.Value.StreamRecordRetrySeconds));

    /// <summary>The record that last failed (checkpoint key and sequence number), since when and how often.</summary>
    private (string Record, long Since, int Attempts)? failing;

    /// <summary>A record is given up on only after this many failed attempts too, so one outage alone never skips it.</summary>
    private const int GiveUpAttempts = 5;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ReadAsync(stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Iterators expire and DynamoDB Local may restart: start again from the checkpoints.
                logger.LogWarning(e, "Reading the inventory table's stream failed; resuming from the checkpoints");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
            }
        }
    }

    private async Task ReadAsync(CancellationToken ct)
    {
        var table = await dynamo.DescribeTableAsync(new DescribeTableRequest { TableName = storage.Value.InventoryTable }, ct);
        var streamArn = table.Table.LatestStreamArn
            ?? throw new InvalidOperationException($"Table {storage.Value.InventoryTable} has no stream");
        var iterators = new Dictionary<string, string>(StringComparer.Ordinal);
        var finished = new HashSet<string>(StringComparer.Ordinal);
        var trimmed = new HashSet<string>(StringComparer.Ordinal);
        var resumed = new HashSet<string>(StringComparer.Ordinal);
        var savedAt = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        List<(string ShardId, string? ParentId)> shards = [];
        var described = TimeSpan.Zero;
        var running = System.Diagnostics.Stopwatch.StartNew();
        while (!ct.IsCancellationRequested)
        {
            // New shards appear rarely (DynamoDB rolls them over every few hours): look for them once a second.
            if (shards.Count == 0 || running.Elapsed - described >= ShardRefresh || shards.All(s => finished.Contains(s.ShardId)))
            {
                shards = await streams.ShardsAsync(streamArn, ct);
                described = running.Elapsed;
            }

            foreach (var (shardId, parentId) in shards)
            {
                // A child shard's records follow its parent's: read it only once the parent is read to its end.
                if (finished.Contains(shardId) || (parentId is not null && shards.Any(s => s.ShardId == parentId) && !finished.Contains(parentId)))
                {
                    continue;
                }

                var checkpointKey = $"{streamArn}|{shardId}";
                if (!iterators.TryGetValue(shardId, out var iterator))
                {
                    var checkpoint = trimmed.Contains(shardId) ? null : await checkpoints.GetAsync(checkpointKey, ct);
                    iterator = await streams.IteratorAsync(streamArn, shardId, checkpoint, ct);
                    if (checkpoint is not null)
                    {
                        resumed.Add(shardId);
                    }
                }

                JsonDocument result;
                try
                {
                    result = await streams.GetRecordsAsync(iterator, ct);
                }
                catch (LocalDynamoStreams.StreamsException e) when (e.Type is "ExpiredIteratorException" or "TrimmedDataAccessException")
                {
                    // An iterator older than 15 minutes, or one that points before the oldest record kept: take a new one.
                    // Records trimmed after the checkpoint are lost to the stream (it keeps 24 hours); the threshold
                    // check repairs the status of those rows once they are quiet.
                    iterators.Remove(shardId);
                    if (e.Type == "TrimmedDataAccessException" && trimmed.Add(shardId) && resumed.Contains(shardId))
                    {
                        logger.LogWarning("Shard {ShardId} no longer holds the records after its checkpoint; reading from its oldest record", shardId);
                    }

                    continue;
                }
                using var document = result;
                var records = document.RootElement.GetProperty("Records").EnumerateArray().Select(ChangeRecords.Parse).OfType<ChangeRecord>().ToList();
                if (records.Count > 0)
                {
                    var (handled, failure) = await changes.HandleAsync(records, ct);
                    // A checkpoint is a write to DynamoDB Local beside the shoppers' own: saved at most once a second (and
                    // before a failure), at the cost of handing a second of records over again after a crash, which
                    // writes nothing twice.
                    var due = !savedAt.TryGetValue(shardId, out var saved) || running.Elapsed - saved >= CheckpointEvery;
                    if (handled > 0 && (due || failure is not null))
                    {
                        await checkpoints.SaveAsync(checkpointKey, records[handled - 1].SequenceNumber, ct);
                        savedAt[shardId] = running.Elapsed;
                        trimmed.Remove(shardId);
                        resumed.Add(shardId);
                    }

                    if (failure is not null)
                    {
                        var sequence = records[handled].SequenceNumber;
                        if (GivesUp($"{checkpointKey}|{sequence}"))
                        {
                            logger.LogError(failure, "Change record {SequenceNumber} of shard {ShardId} kept failing for {Seconds} s; skipped: the threshold check repairs its row's status once the row is quiet",
                                sequence, shardId, giveUpAfter.TotalSeconds);
                            await checkpoints.SaveAsync(checkpointKey, sequence, ct);
                        }

                        // The iterator has moved past the failed record: resume after the checkpoint, with new iterators.
                        throw new InvalidOperationException($"Change record {sequence} could not be handled", failure);
                    }

                    if (failing is { } known && known.Record.StartsWith(checkpointKey + "|", StringComparison.Ordinal))
                    {
                        failing = null; // that shard's failing record went through after all
                    }

                }

                if (document.RootElement.TryGetProperty("NextShardIterator", out var next) && next.GetString() is { } nextIterator)
                {
                    iterators[shardId] = nextIterator;
                }
                else
                {
                    iterators.Remove(shardId);
                    finished.Add(shardId);
                }
            }

            // Between rounds even when records came: under load each round then takes a batch instead of a record or
            // two, which keeps the reader's share of the machine (and of DynamoDB Local) small; the lag stays under it.
            await Task.Delay(idle, ct);
        }
    }

    /// <summary>Whether this record has been failing for <see cref="giveUpAfter"/> and <see cref="GiveUpAttempts"/> attempts: then the reader moves past it.</summary>
    private bool GivesUp(string record)
    {
        var now = Environment.TickCount64;
        var (since, attempts) = failing is { } known && known.Record == record ? (known.Since, known.Attempts + 1) : (now, 1);
        failing = (record, since, attempts);
        if (attempts < GiveUpAttempts || now - since < giveUpAfter.TotalMilliseconds)
        {
            return false;
        }

        failing = null;
        return true;
    }
}
