using System.Diagnostics;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Lifecycle;

/// <summary>
/// <c>bench/run lifecycle</c>: the retention sweep's storage operations per expired row when little or much else is
/// stored, erasure time per 10,000 rows, and what a usage report costs at 100,000 rows by a scan against counters
/// kept on every write. Counted on the pipeline (<c>RoundTripCounter</c>), so the operation counts do not depend on
/// the machine; times are Azurite's on this box. Options: <c>--only retention|erasure|usage</c>.
/// </summary>
internal static class LifecycleSuite
{
    private static readonly BenchPart[] Parts =
    [
        new("retention", "storage operations per expired row: 1,000 expired rows among 100,000 live rows vs among 1,000", [], RetentionAsync),
        new("erasure", "time and storage operations to erase a user of 10,000 rows (and 900 blobs)", [], ErasureAsync),
        new("usage", "usage report at 100,000 rows: scan (chosen) vs counters maintained in every write transaction", [], UsageAsync),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var unknown = options.Names.Where(n => n != "only").ToList();
        var only = options.GetString("only");
        if (unknown.Count > 0 || (only is not null && !Parts.Any(p => p.Name == only)))
        {
            throw new BenchUsageException("usage: bench/run lifecycle [--only " + string.Join('|', Parts.Select(p => p.Name)) + "]");
        }

        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        Figures.Comment(MachineInfo.Describe());
        foreach (var part in Parts.Where(p => only is null || p.Name == only))
        {
            Figures.Comment($"lifecycle part: {part.Name} ({part.Description})");
            await part.RunAsync(options);
        }

        return 0;
    }

    /// <summary>
    /// Expired: 8 soft-deleted threads past their restore window (8 × 100 rows, every tenth message offloaded), the
    /// run log of a deleted mission (100 rows, 10 response blobs) and 100 idempotency records a day old: 1,000 rows.
    /// Live: 1,000 or 10 threads of 100 rows in the same user partition.
    /// </summary>
    private static async Task<int> RetentionAsync(BenchOptions options)
    {
        await using var azurite = await Azurite.StartAsync();
        var perRow = new Dictionary<int, double>();
        foreach (var liveThreads in new[] { 1000, 10 })
        {
            var world = await BenchWorld.CreateAsync(azurite);
            var user = UserPartition.For("bench");
            Figures.Progress($"retention: seeding {liveThreads * 100:N0} live rows and 1,000 to expire");
            await world.SeedThreadsAsync(user, "live", liveThreads, offloadEvery: 0);
            await world.SeedThreadsAsync(user, "gone", 8, offloadEvery: 10);
            for (var i = 0; i < 8; i++)
            {
                await world.Threads.UpdateAsync(user, $"gone{i}", null, (t, now) => t with { DeletedAt = now }, default);
            }

            await world.SeedMissionAsync(user, "old", 100);
            await world.Missions.DeleteAsync(user.Key, "old", ETag.All, default);
            await world.SeedIdempotencyAsync(user, 100);
            world.Clock.Now = BenchWorld.Start.AddDays(31);

            Figures.Progress("retention: sweeping");
            world.Counter.Reset();
            var watch = Stopwatch.StartNew();
            var report = await world.Sweep.RunAsync(dryRun: false, 100_000, default);
            watch.Stop();
            var operations = world.Counter.Reset();
            var rows = report.Deleted.Sum(k => k.Rows);
            var name = $"{liveThreads * 100} live rows";
            Figures.Write($"{name}: expired rows deleted", rows);
            Figures.Write($"{name}: blobs deleted", report.Deleted.Sum(k => k.Blobs));
            Figures.Write($"{name}: expiry entries read", report.Entries);
            Figures.Write($"{name}: storage operations", operations);
            Figures.Write($"{name}: storage operations per expired row", operations / (double)rows, "0.000");
            Figures.Write($"{name}: sweep seconds", watch.Elapsed.TotalSeconds);
            Figures.Write($"{name}: live rows left", await world.CountRowsAsync(user));
            perRow[liveThreads] = operations / (double)rows;
            await world.DeleteAsync();
        }

        Figures.Write("operations per expired row, 100,000 live / 1,000 live", perRow[1000] / perRow[10], "0.000");
        Figures.Comment("operations include reading the index, the per-user hold, settings and thread-lineage reads, every row and blob delete, and the index deletes");
        return 0;
    }

    /// <summary>A user of 100 threads × 100 rows (every tenth message offloaded): erasure from start to receipt.</summary>
    private static async Task<int> ErasureAsync(BenchOptions options)
    {
        await using var azurite = await Azurite.StartAsync();
        var world = await BenchWorld.CreateAsync(azurite);
        var user = UserPartition.For("bench-erase");
        Figures.Progress("erasure: seeding 10,000 rows");
        await world.SeedThreadsAsync(user, "t", 100, offloadEvery: 10);
        var rows = await world.CountRowsAsync(user);

        Figures.Progress("erasure: erasing");
        world.Counter.Reset();
        var watch = Stopwatch.StartNew();
        await world.Erasure.StartAsync(user, default);
        var receipt = await world.Erasure.RunAsync(user, default);
        watch.Stop();
        var operations = world.Counter.Reset();
        Figures.Write("rows erased", receipt.Erased.Sum(k => k.Rows));
        Figures.Write("blobs erased", receipt.Erased.Sum(k => k.Blobs));
        Figures.Write("storage operations", operations);
        Figures.Write("erasure seconds", watch.Elapsed.TotalSeconds);
        Figures.Write("erasure seconds per 10,000 rows", watch.Elapsed.TotalSeconds * 10_000 / rows);
        Figures.Write("rows left", await world.CountRowsAsync(user));
        await world.DeleteAsync();
        return 0;
    }

    /// <summary>
    /// At 100,000 rows of one user: the usage scan (what <c>UsageReports</c> does) against the alternative, counters
    /// kept in a row of the user that every write transaction updates under its ETag. The counter's read is one point
    /// read; its price is paid by the writes, measured here with four writers appending to four threads of the user.
    /// </summary>
    private static async Task<int> UsageAsync(BenchOptions options)
    {
        await using var azurite = await Azurite.StartAsync();
        var world = await BenchWorld.CreateAsync(azurite);
        var user = UserPartition.For("bench-usage");
        Figures.Progress("usage: seeding 100,000 rows");
        await world.SeedThreadsAsync(user, "t", 1000, offloadEvery: 50);

        var scans = new List<(double Ms, long Operations)>();
        for (var i = 0; i < 3; i++)
        {
            world.Counter.Reset();
            var watch = Stopwatch.StartNew();
            var report = await world.Usage.ComputeAsync(user, default);
            scans.Add((watch.Elapsed.TotalMilliseconds, world.Counter.Reset()));
            if (i == 0)
            {
                Figures.Write("scan: rows counted", report.Rows);
                Figures.Write("scan: blobs counted", report.Blobs);
            }
        }

        Figures.Write("scan: storage operations", scans[0].Operations);
        Figures.Write("scan: ms (median of 3)", scans.Select(s => s.Ms).Order().ElementAt(1), "0");

        var counterKey = KeyEncoding.Compose(UserRowKeys.Lifecycle, "usage");
        await world.Storage.Users.UpsertAsync(new TableEntity(user.Key, counterKey) { ["Rows"] = 0L }, TableUpdateMode.Replace);
        var reads = new List<double>();
        for (var i = 0; i < 50; i++)
        {
            var watch = Stopwatch.StartNew();
            await world.Storage.Users.FindAsync(user.Key, counterKey);
            reads.Add(watch.Elapsed.TotalMilliseconds);
        }

        Figures.Write("counters: read ms (median of 50)", reads.Order().ElementAt(25), "0.00");
        Figures.Write("counters: read storage operations", 1);

        foreach (var withCounter in new[] { false, true })
        {
            var (perSecond, retries) = await ConcurrentAppendsAsync(world, user, counterKey, withCounter);
            var label = withCounter ? "counters: appends with the counter row" : "counters: appends without (baseline)";
            Figures.Write($"{label}, 4 writers, appends/s", perSecond, "0");
            Figures.Write($"{label}, lost ETag races per append", retries, "0.000");
        }

        Figures.Comment("an append here is one transaction: the thread row under its ETag and the message row, plus (with counters) the user's counter row under its ETag");
        await world.DeleteAsync();
        return 0;
    }

    /// <summary>4 writers × 100 one-message appends to 4 threads of one user, as raw transactions; a lost race re-reads and retries.</summary>
    private static async Task<(double PerSecond, double RetriesPerAppend)> ConcurrentAppendsAsync(BenchWorld world, UserPartition user, string counterKey, bool withCounter)
    {
        const int writers = 4;
        const int appends = 100;
        var table = world.Storage.Users;
        var retries = 0;
        var threads = Enumerable.Range(0, writers).Select(w => $"w{(withCounter ? 1 : 0)}{w}").ToList();
        foreach (var id in threads)
        {
            await table.AddEntityAsync(new TableEntity(user.Key, UserRowKeys.ForThread(id)) { ["NextSeq"] = 1L });
        }

        var watch = Stopwatch.StartNew();
        await Task.WhenAll(threads.Select(async id =>
        {
            for (var i = 0; i < appends; i++)
            {
                while (true)
                {
                    var thread = (await table.FindAsync(user.Key, UserRowKeys.ForThread(id)))!;
                    var sequence = thread.GetInt64("NextSeq")!.Value;
                    var actions = new List<TableTransactionAction>
                    {
                        new(TableTransactionActionType.UpdateMerge, new TableEntity(user.Key, UserRowKeys.ForThread(id)) { ["NextSeq"] = sequence + 1 }, thread.ETag),
                        new(TableTransactionActionType.Add, new TableEntity(user.Key, UserRowKeys.ForMessage(id, sequence)) { ["Content"] = new string('x', 200) }),
                    };
                    if (withCounter)
                    {
                        var counter = (await table.FindAsync(user.Key, counterKey))!;
                        actions.Add(new(TableTransactionActionType.UpdateMerge, new TableEntity(user.Key, counterKey) { ["Rows"] = counter.GetInt64("Rows")!.Value + 1 }, counter.ETag));
                    }

                    try
                    {
                        await table.SubmitAsync(actions);
                        break;
                    }
                    catch (RequestFailedException e) when (e.Status == 412)
                    {
                        Interlocked.Increment(ref retries);
                    }
                }
            }
        }));
        return (writers * appends / watch.Elapsed.TotalSeconds, retries / (double)(writers * appends));
    }
}
