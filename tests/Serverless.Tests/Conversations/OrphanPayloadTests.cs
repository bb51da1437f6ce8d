using Azure;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

/// <summary>Blobs of writes that crashed between upload and commit are orphans the orphan sweep finds; referenced blobs never are.</summary>
public sealed class OrphanPayloadTests : IAsyncLifetime
{
    private static readonly UserPartition User = UserPartition.For("carol");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    /// <summary>The same storage, reached through a transport that fails every transaction (no retries): blob uploads succeed, commits do not.</summary>
    private LifecycleWorld FailingTransactions() => world.Over(options =>
    {
        options.Transport = new FaultInjectionTransport(r => r.Uri.ToString().Contains("$batch", StringComparison.Ordinal) ? Fault.ServerError : Fault.None);
        options.Retry.MaxRetries = 0;
    });

    private async Task<IReadOnlyList<string>> OrphansAsync(TimeSpan grace) =>
        (await world.Orphans.RunUserAsync(User, grace, dryRun: true, default)).Orphans;

    [Fact]
    public async Task ACrashBetweenUploadAndCommit_LeavesNoRowPointingToAMissingBlob_AndTheOrphanIsFound()
    {
        await world.Threads.CreateAsync(User, ThreadRecord.New("t1", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        var crashing = FailingTransactions().Messages;
        var big = new string('z', ConversationLimits.InlineMaxChars + 1);

        await Assert.ThrowsAsync<RequestFailedException>(() => crashing.AppendAsync(User, "t1", [new NewMessage(null, "user", big, null, null, null, null, null, null)], default));

        var found = await OrphansAsync(TimeSpan.Zero);
        Assert.Single(found);
        Assert.StartsWith("carol/msg/t1/", found[0], StringComparison.Ordinal);
        Assert.Empty(await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(User.Key, UserRowKeys.Messages)));
        Assert.Equal(1, (await world.Threads.GetAsync(User, "t1", default))!.NextSequence);

        // A committed append's blob is referenced, so it is not reported; the grace period hides young blobs.
        var appended = await world.Messages.AppendAsync(User, "t1", [new NewMessage(null, "user", big, null, null, null, null, null, null)], default);
        Assert.True(appended!.Messages[0].ContentOffloaded);
        Assert.Equal(found, await OrphansAsync(TimeSpan.Zero));
        Assert.Empty(await OrphansAsync(TimeSpan.FromHours(1)));

        // The sweep for real deletes the orphan and nothing else.
        var swept = await world.Orphans.RunUserAsync(User, TimeSpan.Zero, dryRun: false, default);
        Assert.Equal(found, swept.Orphans);
        Assert.Empty(await OrphansAsync(TimeSpan.Zero));
        Assert.Equal(big, (await world.Messages.GetAsync(User, appended.Thread, 1, default))!.Content);
    }

    [Fact]
    public async Task ACrashDuringArchive_LeavesEveryMessageReadable_AndOnlyTheSegmentBlobAsAnOrphan()
    {
        await world.Threads.CreateAsync(User, ThreadRecord.New("t2", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        var appended = await world.Messages.AppendAsync(User, "t2", Enumerable.Range(0, 50).Select(i => new NewMessage(null, "user", $"m{i}", null, null, null, null, null, null)).ToList(), default);

        await Assert.ThrowsAsync<RequestFailedException>(() => FailingTransactions().Archiver.SealAsync(User, "t2", 10, default));

        var thread = (await world.Threads.GetAsync(User, "t2", default))!;
        Assert.False(thread.HasSealed);
        var (items, _) = await world.Messages.ListAsync(User, thread, false, 100, null, default);
        Assert.Equal(appended!.Messages.Select(m => m.Content), items.Select(m => m.Content));
        var orphans = await OrphansAsync(TimeSpan.Zero);
        Assert.Single(orphans);
        Assert.StartsWith("carol/msg/t2/", orphans[0], StringComparison.Ordinal);

        // The next archive finishes the job; its segment is referenced, the crashed one's stays the only orphan.
        var progress = await world.Archiver.SealAsync(User, "t2", 10, default);
        Assert.True(progress!.Complete);
        Assert.Equal(50, progress.Thread.SealedThrough);
        Assert.Equal(orphans, await OrphansAsync(TimeSpan.Zero));
        (items, _) = await world.Messages.ListAsync(User, progress.Thread, true, 100, null, default);
        Assert.Equal(appended.Messages.Select(m => m.Content).Reverse(), items.Select(m => m.Content));
    }
}
