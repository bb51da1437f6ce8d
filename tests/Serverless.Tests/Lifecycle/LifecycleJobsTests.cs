using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>The jobs queue, its runner, the keyed receipt hash and the bounded expiry backfill, against Azurite.</summary>
public sealed class LifecycleJobsTests : IAsyncLifetime
{
    private readonly UserPartition alice = UserPartition.For("alice@example.com");
    private readonly UserPartition bob = UserPartition.For("bob@example.com");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public void TheReceiptKey_IsAKeyedHash_NotTheUsersPlainHash()
    {
        var plain = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(alice.Key)));
        var other = new UserKeyHash(new byte[32]);

        Assert.Equal(64, world.Erasure.KeyOf(alice).Length);
        Assert.Equal(world.Erasure.KeyOf(alice), world.Hashes.Of(alice));
        Assert.NotEqual(plain, world.Erasure.KeyOf(alice));
        Assert.NotEqual(other.Of(alice), world.Hashes.Of(alice));
        Assert.NotEqual(world.Hashes.Of(bob), world.Hashes.Of(alice));
        Assert.Throws<ArgumentException>(() => new UserKeyHash(new byte[31]));
    }

    [Fact]
    public async Task Queueing_IsIdempotent_AndACompletedJobStaysWhenItWasQueuedAgainMeanwhile()
    {
        var first = await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);
        var again = await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);

        Assert.Equal(first.RequestedAt, again.RequestedAt);
        Assert.Equal(alice.Key, again.UserKey);
        Assert.True(await world.Jobs.Pending.CompleteAsync(first, default));
        Assert.Null(await world.Jobs.QueuedAsync(alice, LifecycleJobKinds.Usage, default));

        var second = await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);
        await world.Jobs.Pending.RemoveAsync(second.UserHash, second.Kind, default);
        var third = await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);
        Assert.False(await world.Jobs.Pending.CompleteAsync(second, default));
        Assert.NotNull(await world.Jobs.QueuedAsync(alice, LifecycleJobKinds.Usage, default));
        Assert.True(await world.Jobs.Pending.CompleteAsync(third, default));
    }

    [Fact]
    public async Task TheRunner_DoesEachKind_DropsWhatHasNothingToDo_AndErasuresGoFirst()
    {
        await world.Settings.PutAsync(alice, "ui", "theme", "\"dark\"", null, false, default);
        await world.Storage.Users.AddEntityAsync(new TableEntity(alice.Key, UserRowKeys.ForSetting("ui", "old")) { ["Value"] = "1" });
        await UserWorkload.FillAsync(world, bob);
        foreach (var kind in new[] { LifecycleJobKinds.Usage, LifecycleJobKinds.Integrity, LifecycleJobKinds.Migration })
        {
            await world.Jobs.QueueAsync(alice, kind, default);
        }

        var nobody = UserPartition.For("nobody");
        await world.Jobs.Pending.EnqueueAsync(world.Hashes.Of(nobody), LifecycleJobKinds.Migration, nobody, default);
        await world.Jobs.QueueAsync(bob, LifecycleJobKinds.Usage, default);
        await world.Erasure.StartAsync(bob, default);

        var run = await world.Jobs.RunPendingAsync(20, TimeSpan.FromMinutes(5), 5, default);

        Assert.Equal(LifecycleJobKinds.Erasure, run.Jobs[0].Kind);
        Assert.Equal("done", run.Jobs[0].Outcome);
        Assert.Equal("dropped", run.Jobs.Single(j => j.UserHash == world.Hashes.Of(nobody)).Outcome);
        // Bob's usage job was read before his erasure ran: it finds nothing and keeps nothing.
        Assert.Equal(5, run.Jobs.Count(j => j.Outcome == "done"));
        Assert.False(run.Left);
        Assert.True(run.Backfill!.Done);
        Assert.Empty(await world.Jobs.Pending.ReadAsync(20, default));
        Assert.NotNull(await world.Jobs.Reports.GetUsageAsync(alice, default));
        Assert.Equal(0, (await world.Jobs.Reports.GetIntegrityAsync(alice, default))!.ProblemCount);
        Assert.True(await world.Jobs.Migrations.IsCurrentAsync(alice, default));
        Assert.Empty(await UserWorkload.RowsAsync(world, bob));
        Assert.Empty(await UserWorkload.RowsAsync(world, nobody));
    }

    [Fact]
    public async Task ARunWithoutBudget_LeavesEveryJobQueued_AndAReportIsNeverKeptForAUserBeingErased()
    {
        await world.Settings.PutAsync(alice, "ui", "theme", "\"dark\"", null, false, default);
        await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);

        var none = await world.Jobs.RunPendingAsync(20, TimeSpan.Zero, 5, default);
        Assert.Empty(none.Jobs);
        Assert.True(none.Left);
        Assert.Null(none.Backfill);

        await world.Erasure.StartAsync(alice, default);
        await Assert.ThrowsAsync<ErasureInProgressException>(() => world.Jobs.ComputeUsageAsync(alice, default));
        await Assert.ThrowsAsync<ErasureInProgressException>(() => world.Jobs.CheckIntegrityAsync(alice, repair: true, default));
        Assert.Null(await world.Jobs.Reports.GetUsageAsync(alice, default));
    }

    [Fact]
    public async Task Erasure_RemovesTheUsersQueuedJobsAndTheBackfillPositionNamingThem()
    {
        await UserWorkload.FillAsync(world, alice);
        await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Usage, default);
        await world.Jobs.QueueAsync(alice, LifecycleJobKinds.Repair, default);
        await world.Jobs.QueueAsync(bob, LifecycleJobKinds.Usage, default);
        await world.Storage.Jobs.UpsertEntityAsync(new TableEntity("cursor", "ExpiryBackfill") { ["Phase"] = "runs", ["Continuation"] = $"{alice.Key} mrun|x" });

        await world.Erasure.StartAsync(alice, default);
        var receipt = await world.Erasure.RunAsync(alice, default);

        Assert.True(receipt.Done);
        var left = await world.Jobs.Pending.ReadAsync(20, default);
        Assert.Equal(world.Hashes.Of(bob), Assert.Single(left).UserHash);
        var marker = await world.Storage.Jobs.GetEntityAsync<TableEntity>("cursor", "ExpiryBackfill");
        Assert.Equal(("runs", string.Empty), (marker.Value.GetString("Phase"), marker.Value.GetString("Continuation")));
        foreach (var row in await world.Storage.Jobs.ReadAllAsync())
        {
            Assert.DoesNotContain(alice.Key, string.Join("|", row.Select(p => p.Value?.ToString())), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task TheBackfill_GoesAPageAtATime_KeepsItsPlaceInAMarker_AndIsDoneOnce()
    {
        var clock = new Missions.ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var old = await LifecycleWorld.CreateAsync(clock);
        foreach (var u in new[] { alice, bob })
        {
            var gone = ThreadRecord.New("gone", null, null, false, false, clock.Now, ThreadLineage.None) with { DeletedAt = clock.Now };
            await old.Storage.Users.AddEntityAsync(ThreadEntities.ThreadRow(u, gone));
            await old.Storage.Users.AddEntityAsync(new TableEntity(u.Key, UserRowKeys.ForIdempotencyKey("op", "k")) { ["CreatedAt"] = clock.Now });
        }

        var phases = new List<string>();
        BackfillProgress progress;
        do
        {
            progress = await old.Jobs.Backfill.RunPagesAsync(1, default);
            phases.Add(progress.Phase);
        }
        while (!progress.Done);

        Assert.Equal(["runs", "idempotency", "done"], phases);
        Assert.Equal(new BackfillReport(2, 0, 2), progress.Scheduled);
        var entries = (await old.Storage.Expiry.ReadAllAsync()).Count;
        Assert.Equal(4, entries);

        var again = await old.Jobs.Backfill.RunPagesAsync(5, default);
        Assert.Equal((true, 0), (again.Done, again.Pages));
        await old.Jobs.Backfill.ResetAsync(default);
        Assert.Equal("runs", (await old.Jobs.Backfill.RunPagesAsync(1, default)).Phase);
        Assert.Equal(entries, (await old.Storage.Expiry.ReadAllAsync()).Count);
    }
}
