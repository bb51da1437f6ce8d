using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>The orphan sweep deletes only unreferenced blobs older than the grace period, re-checking first; resumable across users.</summary>
public sealed class OrphanSweepTests : IAsyncLifetime
{
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task OnlyUnreferencedBlobsOlderThanTheGrace_Go_AndUnknownFoldersAreReportedNotDeleted()
    {
        var user = UserPartition.For("o1");
        await UserWorkload.FillAsync(world, user);
        var before = await UserWorkload.BlobsAsync(world, user);
        using (var stray = new MemoryStream(new byte[5]))
        {
            await world.Storage.Payloads.UploadBlobAsync($"{user.Key}/elsewhere/x/blob.bin", stray);
        }

        var young = await world.Orphans.RunUserAsync(user, TimeSpan.FromHours(1), dryRun: false, default);
        Assert.Empty(young.Orphans);

        var report = await world.Orphans.RunUserAsync(user, TimeSpan.Zero, dryRun: false, default);

        // The workload leaves one orphan: the crashed append's text in t1's folder.
        var orphan = Assert.Single(report.Orphans);
        Assert.StartsWith(MessageStore.BlobPrefix(user, "t1") + "/", orphan, StringComparison.Ordinal);
        Assert.Equal([$"{user.Key}/elsewhere/x/blob.bin"], report.Unknown);
        Assert.Equal(before.Where(b => b != orphan).Append($"{user.Key}/elsewhere/x/blob.bin").Order(), (await UserWorkload.BlobsAsync(world, user)).Order());
        Assert.DoesNotContain((await world.Integrity(TimeSpan.Zero).CheckAsync(user, default)).Problems, p => p.Code == "dangling_reference");
    }

    [Fact]
    public async Task TextsOfArchivedMessages_AndOfUnarchivedOnes_AreReferenced()
    {
        var user = UserPartition.For("o2");
        await world.Threads.CreateAsync(user, ThreadRecord.New("t", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        foreach (var chunk in Enumerable.Range(0, 120).Select(i => UserWorkload.Message(null, i % 10 == 0 ? UserWorkload.Large : "s")).Chunk(60))
        {
            await world.Messages.AppendAsync(user, "t", chunk, default);
        }

        await world.Archiver.SealAsync(user, "t", 1, default);

        Assert.Empty((await world.Orphans.RunUserAsync(user, TimeSpan.Zero, dryRun: false, default)).Orphans);
        await world.Archiver.UnsealAsync(user, "t", 10, default);
        Assert.Empty((await world.Orphans.RunUserAsync(user, TimeSpan.Zero, dryRun: false, default)).Orphans);
        Assert.Equal(12, (await UserWorkload.BlobsAsync(world, user)).Count);
    }

    [Fact]
    public async Task AcrossUsers_ItSkipsHeldUsers_AndCarriesOnWhereABudgetedRunStopped()
    {
        var users = Enumerable.Range(0, 5).Select(i => UserPartition.For($"u{i}")).ToList();
        foreach (var user in users)
        {
            using var orphan = new MemoryStream(new byte[10]);
            await world.Payloads.WriteAsync(MissionStore.ResponseBlobPrefix(user.Key, "m"), orphan, "text/plain", default);
        }

        await world.Holds.PlaceAsync(users[1], "hold", default);

        var dry = await world.Orphans.RunAsync(TimeSpan.Zero, dryRun: true, maxUsers: 100, default);
        Assert.Equal(4, dry.Orphans.Count);
        var first = await world.Orphans.RunAsync(TimeSpan.Zero, dryRun: false, maxUsers: 2, default);
        Assert.False(first.Complete);
        var rest = await world.Orphans.RunAsync(TimeSpan.Zero, dryRun: false, maxUsers: 100, default);
        Assert.True(rest.Complete);

        Assert.Equal(5, first.Users + rest.Users);
        Assert.Equal(1, first.HeldUsers + rest.HeldUsers);
        Assert.Equal(4, first.Orphans.Count + rest.Orphans.Count);
        Assert.Single(await world.Storage.Payloads.ListNamesAsync(string.Empty));
        Assert.Empty(await world.Storage.Jobs.ReadAllAsync());
    }
}
