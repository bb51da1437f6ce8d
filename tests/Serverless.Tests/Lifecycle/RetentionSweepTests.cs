using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>The retention sweep purges what expired (rows, then blobs, then the index entry) and nothing else.</summary>
public sealed class RetentionSweepTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new(Start);
    private readonly UserPartition user = UserPartition.For("ret|user");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync(clock, RetentionPolicy.Of(TimeSpan.FromDays(30), TimeSpan.Zero));

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task ADeletedThread_IsPurgedOnceItsRestoreWindowPasses_WithEverythingItOwns()
    {
        await CreateAsync("gone", 120, offloadEvery: 7, clientIds: true);
        await world.Archiver.SealAsync(user, "gone", 1, default); // one segment sealed, the rest rows
        await world.Summaries.PutAsync(user, "gone", "s", 10, null, default);
        await CreateAsync("kept", 5, offloadEvery: 2, clientIds: false);
        await DeleteAsync("gone");
        Assert.NotEmpty(await ThreadRowsAsync("gone"));

        clock.Now = Start.AddDays(29);
        var early = await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Equal(0, early.Purged);
        Assert.NotEmpty(await ThreadRowsAsync("gone"));

        clock.Now = Start.AddDays(31);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);

        Assert.Equal(1, report.Purged);
        Assert.Empty(await ThreadRowsAsync("gone"));
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(MessageStore.BlobPrefix(user, "gone") + "/"));
        Assert.Equal(120 - 97, Count(report, "message").Rows); // the first 97 are sealed in the segment
        Assert.Equal(120, Count(report, "message.clientId").Rows);
        Assert.Equal(1, Count(report, "segment").Rows);
        Assert.Equal(1, Count(report, "thread").Rows);
        Assert.Equal(17, Count(report, "message").Blobs);
        Assert.Equal(1, Count(report, "segment").Blobs);
        Assert.Empty(await EntriesAsync());

        var kept = (await world.Threads.GetAsync(user, "kept", default))!;
        var (items, _) = await world.Messages.ListAsync(user, kept, false, 100, null, default);
        Assert.Equal(5, items.Count);
        Assert.Equal(2, (await world.Storage.Payloads.ListNamesAsync(MessageStore.BlobPrefix(user, "kept") + "/")).Count);
    }

    [Fact]
    public async Task ARestoredThread_IsNotPurged_AndItsEntryGoes()
    {
        await CreateAsync("back", 3, offloadEvery: 0, clientIds: false);
        await DeleteAsync("back");
        clock.Now = Start.AddDays(1);
        Assert.NotNull(await world.Threads.UpdateAsync(user, "back", null, (t, _) => t with { DeletedAt = null }, default));

        clock.Now = Start.AddDays(31);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);

        Assert.Equal(1, report.Stale);
        Assert.Empty(await EntriesAsync());
        Assert.Equal(3, (await world.Threads.GetAsync(user, "back", default))!.MessageCount);
    }

    [Fact]
    public async Task AParentWithForks_KeepsWhatItsForksRead_UntilTheLastForkIsPurged()
    {
        await CreateAsync("p", 10, offloadEvery: 3, clientIds: true);
        Assert.True((await world.Archiver.SealAsync(user, "p", 10, default))!.Complete);
        await world.Messages.AppendAsync(user, "p", Enumerable.Range(11, 5).Select(i => UserWorkload.Message(null, $"p{i}")).ToList(), default);
        var late = await ForkAsync("p", "late", 12);
        var early = await ForkAsync("p", "early", 4);
        var expectedLate = await TextsAsync("late");
        var expectedEarly = await TextsAsync("early");
        await DeleteAsync("p");

        clock.Now = Start.AddDays(31);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);

        // Partly purged: 13..15 are gone, 1..12 stay for "late"; out of every list and not restorable.
        Assert.Equal(expectedLate, await TextsAsync("late"));
        Assert.Equal(expectedEarly, await TextsAsync("early"));
        Assert.Equal([11, 12], await MessageRowSequencesAsync("p"));
        Assert.Null(await world.Threads.UpdateAsync(user, "p", null, (t, _) => t with { DeletedAt = null }, default));
        Assert.DoesNotContain("p", await ListedAsync(deleted: true));
        Assert.Empty(await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, KeyEncoding.Compose(UserRowKeys.MessageId, "p", string.Empty))));

        // The later fork goes: the parent is released down to what the early fork reads (one more sweep picks the release up).
        await DeleteAsync("late", at: Start.AddDays(31));
        clock.Now = Start.AddDays(62);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Empty(await ThreadRowsAsync("late"));
        Assert.Empty(await MessageRowSequencesAsync("p"));
        Assert.Equal(expectedEarly, await TextsAsync("early"));

        // The last fork goes: so does all of the parent.
        await DeleteAsync("early", at: Start.AddDays(62));
        clock.Now = Start.AddDays(93);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Empty(await ThreadRowsAsync("early"));
        Assert.Empty(await ThreadRowsAsync("p"));
        Assert.Empty(await UserWorkload.BlobsAsync(world, user));
        Assert.Empty(await EntriesAsync());
    }

    [Fact]
    public async Task ADeletedMissionsRunLog_IsPurged_WithItsStoredResponses_AndItsOrphanedOnes()
    {
        var now = clock.GetUtcNow();
        await world.Missions.InsertAsync(user.Key, "gone", "{}", new MissionState { CreatedAt = now }, null, default);
        await world.Missions.InsertAsync(user.Key, "kept", "{}", new MissionState { CreatedAt = now }, null, default);
        foreach (var mission in new[] { "gone", "kept" })
        {
            for (var i = 0; i < 3; i++)
            {
                var body = await world.Missions.SaveResponseAsync(user.Key, mission, new byte[2000], "text/plain", default);
                await world.Missions.AddRunAsync(user.Key, new MissionRunRecord(mission, MissionStore.NewRunId(now.AddSeconds(i)), "f", now, now, 1, 1, "succeeded", 200, null, null, false, 2000, false, "text/plain", body), default);
            }
        }

        await world.Missions.SaveResponseAsync(user.Key, "gone", new byte[10], null, default); // its run row never got written
        Assert.True(await world.Missions.DeleteAsync(user.Key, "gone", Azure.ETag.All, default));
        Assert.False(await world.Missions.DeleteAsync(user.Key, "never", Azure.ETag.All, default));

        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);

        Assert.Equal(1, report.Purged);
        Assert.Equal(3, Count(report, "mission.run").Rows);
        Assert.Equal(4, Count(report, "mission.run").Blobs);
        Assert.Empty((await world.Missions.ListRunsAsync(user.Key, "gone", 100, null, default)).Items);
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(MissionStore.ResponseBlobPrefix(user.Key, "gone") + "/"));
        Assert.Equal(3, (await world.Missions.ListRunsAsync(user.Key, "kept", 100, null, default)).Items.Count);
        Assert.Equal(3, (await world.Storage.Payloads.ListNamesAsync(MissionStore.ResponseBlobPrefix(user.Key, "kept") + "/")).Count);
        Assert.Empty(await EntriesAsync());
    }

    [Fact]
    public async Task IdempotencyRecords_ArePurged24HoursAfterTheirFirstUse_AndYoungerOnesStay()
    {
        await RecordKeyAsync("old");
        clock.Now = Start.AddHours(20);
        await RecordKeyAsync("young");

        clock.Now = Start.AddHours(26);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Equal(1, Count(report, "idempotency").Rows);
        Assert.Equal(["young"], await KeysAsync());

        clock.Now = Start.AddHours(46);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Empty(await KeysAsync());
        Assert.Empty(await EntriesAsync());
    }

    [Fact]
    public async Task ALongerRetentionSetting_PutsThePurgeOff_AndAShorterOne_BringsLaterDeletesForward()
    {
        await CreateAsync("a", 2, offloadEvery: 0, clientIds: false);
        await DeleteAsync("a");
        await world.Settings.PutAsync(user, RetentionSettings.Namespace, RetentionRules.DeletedThread.Name, "60", null, false, default);

        clock.Now = Start.AddDays(31);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Equal(1, report.Rescheduled);
        Assert.NotEmpty(await ThreadRowsAsync("a"));

        clock.Now = Start.AddDays(61);
        Assert.Equal(1, (await world.Sweep.RunAsync(dryRun: false, 1000, default)).Purged);
        Assert.Empty(await ThreadRowsAsync("a"));

        await world.Settings.PutAsync(user, RetentionSettings.Namespace, RetentionRules.DeletedThread.Name, "0.5", null, false, default);
        await CreateAsync("b", 2, offloadEvery: 0, clientIds: false);
        await DeleteAsync("b", at: clock.Now);
        clock.Now = clock.Now.AddDays(1);
        Assert.Equal(1, (await world.Sweep.RunAsync(dryRun: false, 1000, default)).Purged);
        Assert.Empty(await ThreadRowsAsync("b"));
    }

    [Fact]
    public async Task ALegalHold_StopsEveryPurgeOfTheUser_UntilItIsReleased()
    {
        await CreateAsync("held", 3, offloadEvery: 2, clientIds: false);
        await DeleteAsync("held");
        await world.Holds.PlaceAsync(user, "case 42", default);

        clock.Now = Start.AddDays(31);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Equal(1, report.Held);
        Assert.Equal(3, (await MessageRowSequencesAsync("held")).Count);
        clock.Now = Start.AddDays(40);
        Assert.Equal(1, (await world.Sweep.RunAsync(dryRun: false, 1000, default)).Held);

        await world.Holds.ReleaseAsync(user, default);
        clock.Now = Start.AddDays(42);
        Assert.Equal(1, (await world.Sweep.RunAsync(dryRun: false, 1000, default)).Purged);
        Assert.Empty(await ThreadRowsAsync("held"));
    }

    [Fact]
    public async Task ADryRun_ReportsWhatWouldGo_AndChangesNothing()
    {
        await CreateAsync("p", 30, offloadEvery: 4, clientIds: true);
        await ForkAsync("p", "f", 10);
        await DeleteAsync("p");
        await DeleteAsync("f");
        clock.Now = Start.AddDays(31);
        var rowsBefore = (await UserWorkload.RowsAsync(world, user)).Count;
        var blobsBefore = await UserWorkload.BlobsAsync(world, user);

        var dry = await world.Sweep.RunAsync(dryRun: true, 1000, default);

        Assert.True(dry.DryRun);
        Assert.Equal(rowsBefore, (await UserWorkload.RowsAsync(world, user)).Count);
        Assert.Equal(blobsBefore, await UserWorkload.BlobsAsync(world, user));
        Assert.Equal(2, (await EntriesAsync()).Count);

        var real = await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Equal(real.Deleted, dry.Deleted);
        Assert.Empty(await UserWorkload.RowsAsync(world, user));
    }

    [Fact]
    public async Task TwoSweepsAtOnce_PurgeEachRowOnce_AndLeaveNothing()
    {
        for (var i = 0; i < 6; i++)
        {
            await CreateAsync($"t{i}", 40, offloadEvery: 5, clientIds: true);
            await DeleteAsync($"t{i}");
        }

        clock.Now = Start.AddDays(31);
        var reports = await Task.WhenAll(world.Sweep.RunAsync(false, 1000, default), world.Sweep.RunAsync(false, 1000, default));

        Assert.Empty(await UserWorkload.RowsAsync(world, user));
        Assert.Empty(await UserWorkload.BlobsAsync(world, user));
        var deleted = new KindTally();
        deleted.Add(reports[0].Deleted);
        deleted.Add(reports[1].Deleted);
        Assert.Equal(6 * 40, deleted.ToList().Single(k => k.Kind == "message").Rows);
        Assert.Equal(6 * 8, deleted.ToList().Single(k => k.Kind == "message").Blobs);
        Assert.Equal(6, deleted.ToList().Single(k => k.Kind == "thread").Rows);
    }

    [Fact]
    public async Task ASweep_CostsAtMostThreeStorageOperationsPerExpiredRow()
    {
        for (var i = 0; i < 3; i++)
        {
            await CreateAsync($"t{i}", 97, offloadEvery: 0, clientIds: false);
            await DeleteAsync($"t{i}");
        }

        await CreateAsync("live", 97, offloadEvery: 0, clientIds: false);
        clock.Now = Start.AddDays(31);
        var counter = new RoundTripCounter();
        var report = await world.Over(counter.AddTo).Sweep.RunAsync(false, 1000, default);

        var expired = report.Deleted.Sum(k => k.Rows);
        Assert.Equal(3 * (97 + 3), expired);
        Assert.True(counter.Count <= 3 * expired, $"{counter.Count} operations for {expired} rows");
    }

    private async Task CreateAsync(string threadId, int messages, int offloadEvery, bool clientIds)
    {
        await world.Threads.CreateAsync(user, ThreadRecord.New(threadId, threadId, null, false, false, clock.GetUtcNow(), ThreadLineage.None), null, default);
        var batch = Enumerable.Range(1, messages)
            .Select(i => UserWorkload.Message(clientIds ? $"{threadId}-{i}" : null, offloadEvery > 0 && i % offloadEvery == 0 ? $"{i}:" + UserWorkload.Large : $"{threadId}{i}"))
            .ToList();
        foreach (var chunk in batch.Chunk(clientIds ? 48 : 97))
        {
            await world.Messages.AppendAsync(user, threadId, chunk, default);
        }
    }

    private async Task<string> ForkAsync(string parentId, string forkId, long at)
    {
        var parent = (await world.Threads.GetAsync(user, parentId, default))!;
        await world.Threads.CreateAsync(user, ThreadRecord.New(forkId, forkId, null, false, false, clock.GetUtcNow(), parent.Lineage.ForkAt(parentId, at)), null, default);
        await world.Messages.AppendAsync(user, forkId, [UserWorkload.Message(null, forkId + "-own")], default);
        return forkId;
    }

    private async Task DeleteAsync(string threadId, DateTimeOffset? at = null)
    {
        var saved = clock.Now;
        clock.Now = at ?? clock.Now;
        Assert.NotNull(await world.Threads.UpdateAsync(user, threadId, null, (t, now) => t with { DeletedAt = now }, default));
        clock.Now = saved;
    }

    private async Task<List<string?>> TextsAsync(string threadId)
    {
        var thread = (await world.Threads.GetAsync(user, threadId, default))!;
        var texts = new List<string?>();
        await foreach (var m in world.Messages.StreamAsync(user, thread, 7, default))
        {
            texts.Add(m.Content);
        }

        return texts;
    }

    private async Task<List<long>> MessageRowSequencesAsync(string threadId) =>
        (await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.MessagesOf(threadId)))).Select(r => long.Parse(KeyEncoding.Split(r.RowKey)[2], System.Globalization.CultureInfo.InvariantCulture)).ToList();

    private async Task<List<string>> ListedAsync(bool deleted)
    {
        var (items, _) = await world.Threads.ListAsync(user, ThreadOrder.Recent, new ThreadFilter(null, null, deleted), 100, null, default);
        return items.Select(t => t.Id).ToList();
    }

    /// <summary>Every row of the user that belongs to thread <paramref name="threadId"/> (any kind).</summary>
    private async Task<List<string>> ThreadRowsAsync(string threadId) =>
        (await UserWorkload.RowsAsync(world, user)).Select(r => r.RowKey)
            .Where(key => UserDataKinds.OfRow(key) is { } kind && kind != UserDataKinds.Setting && kind != UserDataKinds.Idempotency && KeyEncoding.Split(key).Contains(threadId))
            .ToList();

    private async Task<List<TableEntity>> EntriesAsync() =>
        await world.Storage.Expiry.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey ne {"cursor"}"));

    private async Task RecordKeyAsync(string key)
    {
        var (_, expired) = await world.Idempotency.FindAsync(user, "op", key, default);
        var action = IdempotencyStore.RecordAction(user, new IdempotencyRecord("op", key, "h", 200, "{}", null, clock.GetUtcNow()), expired);
        await world.Storage.Users.SubmitAsync([action], default);
    }

    private async Task<List<string>> KeysAsync() =>
        (await world.Storage.Users.ReadAllAsync(UserDataKinds.Idempotency.Filter(user))).Select(r => KeyEncoding.Split(r.RowKey)[2]).ToList();

    private static KindCount Count(SweepReport report, string kind) => report.Deleted.SingleOrDefault(k => k.Kind == kind) ?? new KindCount(kind, 0, 0, 0, 0);
}
