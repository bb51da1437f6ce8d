using System.Diagnostics;
using System.Globalization;
using Serverless.Storage;
using Serverless.Storage.Blobs;
using Serverless.Storage.Http;
using Serverless.Storage.Tables;

namespace Serverless.Bench.Storage;

/// <summary>
/// Our side: <see cref="TableClient"/> and <see cref="BlobContainerClient"/> with the product's default
/// <see cref="StorageClientOptions"/>, in this process. Mirrors bench/node/storage-ops.mjs operation by operation.
/// </summary>
internal sealed class OurStorageOps : IStorageOpsSide
{
    public const string QueryPartition = "query";
    public const int QueryRows = 1000;

    private static readonly string Body = string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 12))[..512];
    private static readonly byte[] Data = Enumerable.Range(0, 192).Select(i => (byte)(i * 7 % 256)).ToArray();
    private static readonly DateTimeOffset CreatedAt = new(2024, 5, 1, 12, 34, 56, 789, TimeSpan.Zero);
    private static readonly Guid Id = Guid.Parse("6f9619ff-8b86-d011-b42d-00cf4fc964ff", CultureInfo.InvariantCulture);

    private readonly TableClient table;
    private readonly BlobContainerClient container;
    private readonly RoundTripCounter roundTrips;
    private readonly Dictionary<string, byte[]> payloads;
    private readonly List<string> uploaded = [];

    private OurStorageOps(TableClient table, BlobContainerClient container, RoundTripCounter roundTrips, Dictionary<string, byte[]> payloads)
    {
        this.table = table;
        this.container = container;
        this.roundTrips = roundTrips;
        this.payloads = payloads;
    }

    /// <summary>
    /// Creates the table and the container, seeds partition <see cref="QueryPartition"/> with rows
    /// r0000..r0999 and uploads the blobs get-&lt;size&gt; that both sides read.
    /// </summary>
    public static async Task<OurStorageOps> CreateAsync(StorageConnection connection, string tableName, string containerName)
    {
        var roundTrips = new RoundTripCounter();
        var options = new StorageClientOptions { RoundTrips = roundTrips };
        var table = new TableClient(connection, tableName, options);
        var container = new BlobContainerClient(connection, containerName, options);
        await table.CreateIfNotExistsAsync();
        await container.CreateIfNotExistsAsync();

        for (var start = 0; start < QueryRows; start += 100)
        {
            await table.SubmitTransactionAsync(
                Enumerable.Range(start, 100).Select(i => new TableTransactionAction(TableActionType.Add, Entity(QueryPartition, i))).ToList());
        }

        var random = new Random(42);
        var payloads = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var (name, size) in StorageOp.BlobSizes)
        {
            var payload = new byte[size];
            random.NextBytes(payload);
            payloads[name] = payload;
            await container.UploadAsync(GetBlobName(name), new MemoryStream(payload, writable: false));
        }

        return new OurStorageOps(table, container, roundTrips, payloads);
    }

    public static string GetBlobName(string size) => "get-" + size;

    /// <summary>The entity both sides write: ten properties of mixed types, ~1.2 KiB of JSON.</summary>
    public static TableEntity Entity(string partitionKey, int i) => new(partitionKey, RowKey(i))
    {
        ["Name"] = string.Create(CultureInfo.InvariantCulture, $"benchmark entity {i}"),
        ["Body"] = Body,
        ["Tag"] = "tag-0123456789",
        ["Count"] = i,
        ["Sequence"] = 1_000_000_000_000L + i,
        ["Score"] = i + 0.5,
        ["Active"] = i % 2 == 0,
        ["CreatedAt"] = CreatedAt,
        ["Id"] = Id,
        ["Data"] = Data,
    };

    public async Task<OpsRun> RunAsync(StorageOp op, int count, string tag)
    {
        var once = Operation(op, tag);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        roundTrips.Reset();
        var cpu = Environment.CpuUsage.TotalTime;
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < count; i++)
        {
            await once(i);
        }

        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var cpuSeconds = (Environment.CpuUsage.TotalTime - cpu).TotalSeconds;
        var requests = roundTrips.Reset();
        return new OpsRun(count, seconds, cpuSeconds, requests);
    }

    public async Task CleanUpAsync()
    {
        foreach (var name in uploaded)
        {
            await container.DeleteAsync(name);
        }

        uploaded.Clear();
    }

    private static string RowKey(int i) => string.Create(CultureInfo.InvariantCulture, $"r{i:D4}");

    private static void Check(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private Func<int, Task> Operation(StorageOp op, string tag)
    {
        switch (op.Name)
        {
            case "table.insert":
                return i => table.InsertAsync(Entity($"ins-{tag}", i));

            case "table.get":
                return async i =>
                {
                    var entity = await table.GetAsync(QueryPartition, RowKey(i % QueryRows));
                    Check(entity?.GetString("Body") == Body, "table.get: unexpected entity");
                };

            case "table.query_page":
                var filter = ODataFilter.PartitionKeyEquals(QueryPartition);
                return async _ =>
                {
                    var page = await table.QueryPageAsync(filter, QueryRows);
                    Check(page.Entities.Count == QueryRows, $"table.query_page: got {page.Entities.Count} entities, not {QueryRows}");
                };

            case "table.batch_100":
                return async i =>
                {
                    var partition = string.Create(CultureInfo.InvariantCulture, $"batch-{tag}-{i}");
                    var actions = new List<TableTransactionAction>(100);
                    for (var r = 0; r < 100; r++)
                    {
                        actions.Add(new TableTransactionAction(TableActionType.Add, Entity(partition, r)));
                    }

                    var etags = await table.SubmitTransactionAsync(actions);
                    Check(etags.Count == 100, "table.batch_100: unexpected response");
                };
        }

        var parts = op.Name.Split('.', '_');
        if (parts is ["blob", "put", var putSize] && payloads.TryGetValue(putSize, out var putPayload))
        {
            return async i =>
            {
                var name = string.Create(CultureInfo.InvariantCulture, $"put-{tag}-{i}");
                uploaded.Add(name);
                await container.UploadAsync(name, new MemoryStream(putPayload, writable: false));
            };
        }

        if (parts is ["blob", "get", var getSize] && payloads.TryGetValue(getSize, out var getPayload))
        {
            var name = GetBlobName(getSize);
            return async _ =>
            {
                await using var download = await container.DownloadAsync(name);
                var buffer = new MemoryStream(checked((int)download.ContentLength));
                await download.Content.CopyToAsync(buffer);
                Check(buffer.Length == getPayload.Length, $"{op.Name}: downloaded {buffer.Length} bytes, not {getPayload.Length}");
            };
        }

        throw new ArgumentException($"unknown operation '{op.Name}'", nameof(op));
    }
}
