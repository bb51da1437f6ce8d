using Azure.Data.Tables;
using Serverless.Storage.Events;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Memories;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.AgentState;

/// <summary>Retention of the agent-state kinds: runs and events after 90 days, usage after 400, records at their expiry; counters follow.</summary>
public sealed class AgentStateRetentionTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 8, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new(Start);
    private readonly UserPartition user = UserPartition.For("agent|ret");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync(clock);

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task RunsAndEvents_GoAfter90Days_WithTheirListRowsBlobsAndCounts_UsageAfter400_AndNewerOnesStay()
    {
        var big = "\"" + new string('x', 20_000) + "\"";
        await world.Runs.CreateAsync(user, Run("old1", RunStatuses.Succeeded, Start, big), null, default);
        await world.Runs.CreateAsync(user, Run("old2", RunStatuses.Failed, Start, null) with { ThreadId = "t1" }, null, default);
        await world.Events.AppendAsync(user, Enumerable.Range(0, 150).Select(i => new NewEvent($"e{i}", "search", Start.AddMinutes(i), null, "m", 1, 1, 0.1, null, null)).ToList(), default);
        clock.Now = Start.AddDays(60);
        await world.Runs.CreateAsync(user, Run("new", RunStatuses.Running, clock.Now, null), null, default);
        await world.Events.AppendAsync(user, [new NewEvent("late", "search", clock.Now, null, null, null, null, null, null, null)], default);
        await world.Memories.PutAsync(user, "user", "facts", "k", new MemoryWrite("\"kept forever\"", [], null, null), null, false, null, default);

        clock.Now = Start.AddDays(91);
        var report = await world.Sweep.RunAsync(dryRun: false, 1000, default);

        Assert.Equal(2, report.Deleted.Single(k => k.Kind == "run").Rows);
        Assert.Equal(1, report.Deleted.Single(k => k.Kind == "run").Blobs);
        Assert.Equal(7, report.Deleted.Single(k => k.Kind == "run.list").Rows); // all, kind, status x2, and old2's thread row
        Assert.Equal(150, report.Deleted.Single(k => k.Kind == "event").Rows);
        var counts = await world.Runs.CountsAsync(user, default);
        Assert.Equal(1, counts[RunStatuses.Running]);
        Assert.Equal(0, counts[RunStatuses.Succeeded] + counts[RunStatuses.Failed]);
        var (runs, _) = await world.Runs.ListAsync(user, new RunFilter(null, null, null), 10, null, default);
        Assert.Equal(["new"], runs.Select(r => r.Id));
        var (events, _) = await world.Events.ListAsync(user, null, null, null, 10, null, default);
        Assert.Equal(["late"], events.Select(e => e.Event.Id));
        Assert.NotNull(await world.Memories.GetAsync(user, "user", "facts", "k", default));
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Runs, "old1") + "/"));

        // The rollups outlive the events they count, until their own retention.
        var usage = await world.Rollups.ReadAsync(user, DateOnly.FromDateTime(Start.UtcDateTime), DateOnly.FromDateTime(Start.UtcDateTime), default);
        Assert.Equal(150, usage.Single(d => d.Dimension == "total").Events);
        clock.Now = Start.AddDays(402);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Empty(await world.Rollups.ReadAsync(user, DateOnly.FromDateTime(Start.UtcDateTime), DateOnly.FromDateTime(Start.UtcDateTime), default));
        Assert.Empty(await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Events)));
    }

    [Fact]
    public async Task ARecord_IsPurgedAtItsExpiry_WithItsListRowsAndQuotaCounts_AndAMovedExpiryIsRescheduled()
    {
        await Write("c1", Start.AddDays(1), "{\"big\":\"" + new string('b', RecordStore.InlineMaxBytes) + "\"}");
        await Write("c2", Start.AddDays(1), "{}");
        await Write("keep", null, "{}");
        await world.Records.WriteAsync(user, "cells", "c2", c => new RecordState(null, c!.Status, null, Start.AddDays(5), c.Counters), false, null, false, null, default);

        clock.Now = Start.AddDays(2);
        Assert.Null(await world.Records.GetAsync(user, "cells", "c1", default));
        await world.Sweep.RunAsync(dryRun: false, 1000, default);

        Assert.Empty(await RowsAsync("c1"));
        Assert.NotEmpty(await RowsAsync("c2"));
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(UserBlobNames.Folder(user.Key, UserBlobNames.Records, "cells") + "/"));
        Assert.Equal(2, (await world.Records.CollectionsAsync(user, default)).Single().Records);

        clock.Now = Start.AddDays(6);
        await world.Sweep.RunAsync(dryRun: false, 1000, default);
        Assert.Empty(await RowsAsync("c2"));
        var (items, _) = await world.Records.ListAsync(user, "cells", new RecordListQuery(true, "open", null), 10, null, default);
        Assert.Equal(["keep"], items.Select(i => i.Id));
        Assert.Equal(1, (await world.Records.CollectionsAsync(user, default)).Single().Records);
    }

    private static RunRecord Run(string id, string status, DateTimeOffset at, string? input) =>
        new(id, "tool", "n", status, null, null, null, null, input, null, null, null, null, null, null, null, at, at, at, RunStatuses.IsTerminal(status) ? at : null);

    private async Task Write(string id, DateTimeOffset? expiresAt, string data) =>
        await world.Records.WriteAsync(user, "cells", id, _ => new RecordState(data, "open", null, expiresAt, new Dictionary<string, long>()), false, null, true, null, default);

    private async Task<List<TableEntity>> RowsAsync(string id) =>
        (await world.Storage.Users.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}")))
        .Where(r => r.RowKey.EndsWith("|" + id, StringComparison.Ordinal) && r.RowKey.StartsWith("rec", StringComparison.Ordinal)).ToList();
}
