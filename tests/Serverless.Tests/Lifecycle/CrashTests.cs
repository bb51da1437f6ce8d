using Azure;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// A sweep or an erasure that dies at any request (every later request refused, as if the process were gone) and is
/// then run again ends exactly where an uninterrupted run ends: nothing lost that should stay, nothing left that
/// should go, nothing counted twice.
/// </summary>
public sealed class CrashTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly UserPartition user = UserPartition.For("crash");

    public static TheoryData<double> CrashPoints => new() { 0.02, 0.1, 0.25, 0.4, 0.55, 0.7, 0.85, 0.97 };

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task ASweepThatDiesMidway_IsFinishedByTheNextOne(double at)
    {
        var (expected, total) = await ReferenceSweepAsync();
        var clock = new ManualClock(Start);
        await using var world = await SetUpAsync(clock);
        clock.Now = Start.AddDays(31);

        var dying = Dying(world, (int)(total * at));
        await Assert.ThrowsAsync<RequestFailedException>(() => dying.Sweep.RunAsync(false, 1000, default));
        var resumed = await world.Sweep.RunAsync(false, 1000, default);
        resumed = await world.Sweep.RunAsync(false, 1000, default); // the release of the parent is picked up by a later run, as without a crash

        Assert.Equal(expected, await SnapshotAsync(world));
        Assert.Equal(["p1", "f1", "f2-own"], await TextsAsync(world, "f"));
        Assert.DoesNotContain(resumed.Items, i => i.Outcome == "deferred");
    }

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task AnErasureThatDiesMidway_IsResumed_AndItsReceiptCountsEverythingOnce(double at)
    {
        var clock = new ManualClock(Start);
        await using var world = await SetUpAsync(clock);
        var usage = await world.Usage.ComputeAsync(user, default);
        var counter = new RoundTripCounter();
        await using (var probe = await SetUpAsync(new ManualClock(Start)))
        {
            await probe.Erasure.StartAsync(user, default);
            await probe.Over(counter.AddTo).Erasure.RunAsync(user, default);
        }

        await world.Erasure.StartAsync(user, default);
        var dying = Dying(world, (int)(counter.Count * at));
        await Assert.ThrowsAsync<RequestFailedException>(() => dying.Erasure.RunAsync(user, default));

        // What the jobs timer does after a crash: the queue holds the job (the last few requests follow the receipt, so a late crash may leave only its entry).
        Assert.Single(await world.Jobs.Pending.ReadAsync(10, default));
        var run = await world.Jobs.RunPendingAsync(10, TimeSpan.FromMinutes(5), 1, default);
        var receipt = (await world.Erasure.GetAsync(world.Erasure.KeyOf(user), default))!;

        Assert.Equal("done", Assert.Single(run.Jobs).Outcome);
        Assert.Empty(await world.Jobs.Pending.ReadAsync(10, default));
        Assert.Empty(await world.Erasure.UnfinishedAsync(default));
        Assert.True(receipt.Done);
        Assert.Empty(await UserWorkload.RowsAsync(world, user));
        Assert.Empty(await UserWorkload.BlobsAsync(world, user));
        Assert.Equal(usage.Rows, receipt.Erased.Where(k => !k.Kind.StartsWith("index.", StringComparison.Ordinal)).Sum(k => k.Rows));
        Assert.Equal(usage.RowBytes, receipt.Erased.Where(k => !k.Kind.StartsWith("index.", StringComparison.Ordinal)).Sum(k => k.RowBytes));
        Assert.Equal(usage.Blobs, receipt.Erased.Sum(k => k.Blobs));
        Assert.Equal(usage.BlobBytes, receipt.Erased.Sum(k => k.BlobBytes));
    }

    /// <summary>The world's storage through one transport (tables and blobs alike) that dies after <paramref name="requests"/> requests.</summary>
    private static LifecycleWorld Dying(LifecycleWorld world, int requests)
    {
        var transport = FaultInjectionTransport.DiesAfter(requests);
        return world.Over(o =>
        {
            o.Transport = transport;
            o.Retry.MaxRetries = 0;
        });
    }

    /// <summary>Deleted threads (a parent with a fork that stays, and one with a fork that goes), idempotency records, a live thread.</summary>
    private async Task<LifecycleWorld> SetUpAsync(ManualClock clock)
    {
        var world = await LifecycleWorld.CreateAsync(clock, RetentionPolicy.Of(TimeSpan.FromDays(30), TimeSpan.Zero));
        var now = clock.GetUtcNow();
        async Task Thread(string id, int messages, ThreadLineage lineage)
        {
            await world.Threads.CreateAsync(user, ThreadRecord.New(id, id, null, false, false, now, lineage), null, default);
            var batch = Enumerable.Range(1, messages).Select(i => UserWorkload.Message($"{id}-{i}", i % 4 == 0 ? UserWorkload.Large : $"{id}{i}")).ToList();
            foreach (var chunk in batch.Chunk(40))
            {
                await world.Messages.AppendAsync(user, id, chunk, default);
            }
        }

        await Thread("p", 120, ThreadLineage.None);
        await world.Archiver.SealAsync(user, "p", 1, default);
        await Thread("f", 1, ThreadLineage.None.ForkAt("p", 1));
        await world.Messages.AppendAsync(user, "f", [UserWorkload.Message(null, "f2-own")], default);
        await Thread("q", 30, ThreadLineage.None);
        await Thread("g", 2, ThreadLineage.None.ForkAt("q", 10));
        await Thread("live", 10, ThreadLineage.None);
        foreach (var id in new[] { "p", "q", "g" })
        {
            await world.Threads.UpdateAsync(user, id, null, (t, at) => t with { DeletedAt = at }, default);
        }

        for (var i = 0; i < 5; i++)
        {
            var (_, expired) = await world.Idempotency.FindAsync(user, "op", $"k{i}", default);
            await world.Storage.Users.SubmitAsync([IdempotencyStore.RecordAction(user, new IdempotencyRecord("op", $"k{i}", "h", 200, "{}", null, now), expired)], default);
        }

        return world;
    }

    /// <summary>What an uninterrupted pair of sweeps leaves, and how many requests the first one takes.</summary>
    private async Task<(List<string> Snapshot, long Requests)> ReferenceSweepAsync()
    {
        var clock = new ManualClock(Start);
        await using var world = await SetUpAsync(clock);
        clock.Now = Start.AddDays(31);
        var counter = new RoundTripCounter();
        await world.Over(counter.AddTo).Sweep.RunAsync(false, 1000, default);
        var requests = counter.Count;
        await world.Sweep.RunAsync(false, 1000, default);
        return (await SnapshotAsync(world), requests);
    }

    /// <summary>The user's rows by kind and owner, and blobs by folder and owner (blob names and run ids are random, counts are not).</summary>
    private async Task<List<string>> SnapshotAsync(LifecycleWorld world)
    {
        var rows = (await UserWorkload.RowsAsync(world, user)).Select(r => r.RowKey.StartsWith(UserRowKeys.Message + "|", StringComparison.Ordinal) ? r.RowKey : UserDataKinds.OfRow(r.RowKey)!.Name + ":" + KeyEncoding.Split(r.RowKey)[^1]);
        var blobs = (await UserWorkload.BlobsAsync(world, user)).Select(b => b[..b.LastIndexOf('/')]);
        return rows.Concat(blobs).Order(StringComparer.Ordinal).ToList();
    }

    private async Task<List<string?>> TextsAsync(LifecycleWorld world, string threadId)
    {
        var thread = (await world.Threads.GetAsync(user, threadId, default))!;
        var (items, _) = await world.Messages.ListAsync(user, thread, false, 100, null, default);
        return items.Select(m => m.Content).ToList();
    }
}
