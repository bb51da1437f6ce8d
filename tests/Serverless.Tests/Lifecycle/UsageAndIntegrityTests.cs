using Azure;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>Usage counts what is stored per kind; the integrity check finds what must never be, and repair fixes what is safe.</summary>
public sealed class UsageAndIntegrityTests : IAsyncLifetime
{
    private readonly UserPartition user = UserPartition.For("ui");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task Usage_CountsRowsAndBlobsPerKind_AsARawScanDoes()
    {
        await UserWorkload.FillAsync(world, user);
        var rows = await UserWorkload.RowsAsync(world, user);

        var usage = await world.Usage.ComputeAsync(user, default);

        foreach (var group in rows.GroupBy(r => UserDataKinds.OfRow(r.RowKey)!.Name))
        {
            var kind = usage.Kinds.Single(k => k.Kind == group.Key);
            Assert.Equal(group.Count(), kind.Rows);
            Assert.Equal(group.Sum(EntityLimits.SizeOf), kind.RowBytes);
        }

        Assert.Equal((await UserWorkload.BlobsAsync(world, user)).Count, usage.Blobs);
        Assert.Equal(1, usage.Kinds.Single(k => k.Kind == UsageReports.Orphan).Blobs);
        Assert.Equal(1, usage.Kinds.Single(k => k.Kind == "segment").Blobs);
        Assert.Equal(2, usage.Kinds.Single(k => k.Kind == "mission.run").Blobs);
        Assert.Equal(2, usage.Requests);
    }

    [Fact]
    public async Task AHealthyUser_HasNoProblems()
    {
        await UserWorkload.FillAsync(world, user);
        var report = await world.Integrity(TimeSpan.FromHours(1)).CheckAsync(user, default);
        Assert.True(report.Problems.Count == 0, string.Join("\n", report.Problems));
    }

    [Fact]
    public async Task TheCheck_FindsEachKindOfProblem_AndRepair_FixesTheSafeOnes()
    {
        await UserWorkload.FillAsync(world, user);
        var users = world.Storage.Users;

        // A lost blob, a thread counter off, list rows lost and stale, a segment index that disagrees, a run log without its mission.
        var t1Rows = await users.ReadAllAsync(UserDataKinds.Message.Filter(user));
        var offloaded = t1Rows.First(r => PayloadColumns.Read(r, MessageEntities.Content) is not null && KeyEncoding.Split(r.RowKey)[1] == "t1");
        await world.Storage.Payloads.DeleteBlobAsync(PayloadColumns.Read(offloaded, MessageEntities.Content)!.BlobName);
        var t1 = (await world.Threads.GetAsync(user, "t1", default))!;
        await users.ReplaceAsync(ThreadEntities.ThreadRow(user, t1 with { MessageCount = 99 }), ETag.All);
        await users.DeleteRowAsync(user.Key, UserRowKeys.ForRecent(t1.LastActivityAt, "t1"), ETag.All);
        await users.UpsertAsync(new TableEntity(user.Key, UserRowKeys.ForCreated(DateTimeOffset.UnixEpoch, "nothread")) { ["ThreadId"] = "nothread" }, TableUpdateMode.Replace);
        await users.MergeAsync(new TableEntity(user.Key, UserRowKeys.ForSegment("t1", t1.SealedThrough)) { ["First"] = 5L }, ETag.All);
        await users.DeleteRowAsync(user.Key, UserRowKeys.ForMission("m1"), ETag.All);

        var check = await world.Integrity(TimeSpan.Zero).CheckAsync(user, default);
        var codes = check.Problems.Select(p => p.Code).Distinct().Order().ToList();
        Assert.Equal(["dangling_reference", "list_row_missing", "list_row_stale", "message_count", "orphan_blob", "segment_mismatch"], codes);
        Assert.Contains(check.Problems, p => p.Code == "dangling_reference" && p.Subject == offloaded.RowKey);

        var repair = await world.Integrity(TimeSpan.Zero).RepairAsync(user, default);
        Assert.NotEmpty(repair.Repairs);
        await world.Sweep.RunAsync(false, 100, default); // the purge of m1's run log, which repair scheduled
        Assert.Empty(await users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.MissionRunsOf("m1"))));

        var after = await world.Integrity(TimeSpan.Zero).CheckAsync(user, default);
        Assert.Equal(["dangling_reference", "segment_mismatch"], after.Problems.Select(p => p.Code).Distinct().Order());
        Assert.Equal(after.Problems, after.Unrepairable);
        Assert.Equal(t1.MessageCount, (await world.Threads.GetAsync(user, "t1", default))!.MessageCount);
        var (listed, _) = await world.Threads.ListAsync(user, ThreadOrder.Recent, new ThreadFilter(null, null, false), 10, null, default);
        Assert.Contains("t1", listed.Select(t => t.Id));
    }

    [Fact]
    public async Task Repair_SchedulesRetentionForDataWrittenBeforeTheIndexExisted()
    {
        // A thread soft-deleted by an older version: the row says deleted, no expiry entry exists.
        var clock = new Missions.ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var old = await LifecycleWorld.CreateAsync(clock);
        await old.Threads.CreateAsync(user, ThreadRecord.New("legacy", null, null, false, false, clock.GetUtcNow(), ThreadLineage.None), null, default);
        var legacy = (await old.Threads.GetAsync(user, "legacy", default))! with { DeletedAt = clock.GetUtcNow() };
        await old.Storage.Users.ReplaceAsync(ThreadEntities.ThreadRow(user, legacy), ETag.All);
        await old.Storage.Users.UpsertAsync(ThreadEntities.RecentRow(user, legacy), TableUpdateMode.Replace);
        await old.Storage.Users.UpsertAsync(ThreadEntities.CreatedRow(user, legacy), TableUpdateMode.Replace);
        clock.Now = clock.Now.AddDays(31);
        Assert.Equal(0, (await old.Sweep.RunAsync(false, 100, default)).Entries);

        await old.Integrity(TimeSpan.FromDays(1)).RepairAsync(user, default);

        Assert.Equal(1, (await old.Sweep.RunAsync(false, 100, default)).Purged);
        Assert.Null(await old.Threads.GetAsync(user, "legacy", default));
    }

    [Fact]
    public async Task TheBackfill_SchedulesEveryUsersLegacyData_SoOneSweepPurgesIt()
    {
        // Data as a version without the expiry index left it: rows written raw, no entries.
        var clock = new Missions.ManualClock(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var old = await LifecycleWorld.CreateAsync(clock);
        var users = new[] { UserPartition.For("legacy-a"), UserPartition.For("legacy-b") };
        foreach (var u in users)
        {
            var gone = ThreadRecord.New("gone", null, null, false, false, clock.Now, ThreadLineage.None) with { DeletedAt = clock.Now };
            await old.Storage.Users.AddEntityAsync(ThreadEntities.ThreadRow(u, gone));
            await old.Storage.Users.AddEntityAsync(new TableEntity(u.Key, UserRowKeys.ForMessage("gone", 1)) { ["Role"] = "user", ["Content"] = "x" });
            await old.Storage.Users.AddEntityAsync(new TableEntity(u.Key, UserRowKeys.ForMissionRun("m", Serverless.Storage.Missions.MissionStore.NewRunId(clock.Now))!) { ["Status"] = "succeeded" });
            await old.Storage.Users.AddEntityAsync(new TableEntity(u.Key, UserRowKeys.ForIdempotencyKey("op", "k")) { ["CreatedAt"] = clock.Now });
            await old.Storage.Users.AddEntityAsync(new TableEntity(u.Key, UserRowKeys.ForThread("live")) { ["ThreadId"] = "live" });
        }

        clock.Now = clock.Now.AddDays(31);
        var progress = await new ExpiryBackfill(old.Storage, old.Expiry).RunPagesAsync(10, default);
        Assert.True(progress.Done);
        Assert.Equal(new BackfillReport(2, 2, 2), progress.Scheduled);

        var swept = await old.Sweep.RunAsync(false, 100, default);
        Assert.Equal(6, swept.Purged);
        foreach (var u in users)
        {
            Assert.Equal([UserRowKeys.ForThread("live")], (await UserWorkload.RowsAsync(old, u)).Select(r => r.RowKey));
        }
    }
}
