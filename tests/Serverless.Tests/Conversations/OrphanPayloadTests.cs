using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage.Conversations;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class OrphanPayloadTests : IAsyncLifetime
{
    private static readonly UserPartition User = UserPartition.For("carol");
    private Azurite azurite = null!;
    private TableClient table = null!;
    private BlobContainerClient container = null!;

    public async Task InitializeAsync()
    {
        azurite = await Azurite.Shared;
        table = azurite.Table(Azurite.UniqueName("conv"));
        await table.CreateIfNotExistsAsync();
        container = azurite.Container(Azurite.UniqueName("conv"));
        await container.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await table.DeleteAsync();
        await container.DeleteIfExistsAsync();
    }

    /// <summary>The same table, reached through a transport that fails every transaction (no retries): blob uploads succeed, commits do not.</summary>
    private TableClient FailingTransactions() => azurite.Table(table.Name, options =>
    {
        options.Transport = new FaultInjectionTransport(r => r.Uri.ToString().Contains("$batch", StringComparison.Ordinal) ? Fault.ServerError : Fault.None);
        options.Retry.MaxRetries = 0;
    });

    [Fact]
    public async Task ACrashBetweenUploadAndCommit_LeavesNoRowPointingToAMissingBlob_AndTheOrphanIsFound()
    {
        var threads = new ThreadStore(table, TimeProvider.System);
        await threads.CreateAsync(User, ThreadRecord.New("t1", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);

        // The same table, reached through a transport that fails every transaction: the blob upload succeeds, the commit does not.
        var failing = FailingTransactions();
        var payloads = new PayloadStore(container);
        var crashing = new MessageStore(failing, new ThreadStore(failing, TimeProvider.System), payloads, TimeProvider.System);
        var big = new string('z', ConversationLimits.InlineMaxChars + 1);

        await Assert.ThrowsAsync<RequestFailedException>(() => crashing.AppendAsync(User, "t1", [new NewMessage(null, "user", big, null, null, null, null, null, null)], default));

        var orphans = new OrphanPayloads(table, container);
        var found = await orphans.FindAsync(User, TimeSpan.Zero, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Single(found);
        Assert.StartsWith("carol/msg/t1/", found[0], StringComparison.Ordinal);
        Assert.Empty(await table.ReadAllAsync(TableFilters.RowKeyStartsWith(User.Key, UserRowKeys.Messages)));
        Assert.Equal(1, (await threads.GetAsync(User, "t1", default))!.NextSequence);

        // A committed append's blob is referenced, so it is not reported; the grace period hides young blobs.
        var healthy = new MessageStore(table, threads, payloads, TimeProvider.System);
        var appended = await healthy.AppendAsync(User, "t1", [new NewMessage(null, "user", big, null, null, null, null, null, null)], default);
        Assert.True(appended!.Messages[0].ContentOffloaded);
        Assert.Equal(found, await orphans.FindAsync(User, TimeSpan.Zero, DateTimeOffset.UtcNow.AddMinutes(1)));
        Assert.Empty(await orphans.FindAsync(User, TimeSpan.FromHours(1), DateTimeOffset.UtcNow));
        Assert.Equal(big, (await healthy.GetAsync(User, appended.Thread, 1, default))!.Content);
    }

    [Fact]
    public async Task ACrashDuringArchive_LeavesEveryMessageReadable_AndOnlyTheSegmentBlobAsAnOrphan()
    {
        var threads = new ThreadStore(table, TimeProvider.System);
        var payloads = new PayloadStore(container);
        var messages = new MessageStore(table, threads, payloads, TimeProvider.System);
        await threads.CreateAsync(User, ThreadRecord.New("t2", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        var appended = await messages.AppendAsync(User, "t2", Enumerable.Range(0, 50).Select(i => new NewMessage(null, "user", $"m{i}", null, null, null, null, null, null)).ToList(), default);

        var failing = FailingTransactions();
        var crashing = new ThreadArchiver(failing, new ThreadStore(failing, TimeProvider.System), payloads);
        await Assert.ThrowsAsync<RequestFailedException>(() => crashing.SealAsync(User, "t2", 10, default));

        var thread = (await threads.GetAsync(User, "t2", default))!;
        Assert.False(thread.HasSealed);
        var (items, _) = await messages.ListAsync(User, thread, false, 100, null, default);
        Assert.Equal(appended!.Messages.Select(m => m.Content), items.Select(m => m.Content));
        var orphans = await new OrphanPayloads(table, container).FindAsync(User, TimeSpan.Zero, DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Single(orphans);
        Assert.StartsWith("carol/msg/t2/", orphans[0], StringComparison.Ordinal);

        // The next archive finishes the job; its segment is referenced, the crashed one's stays the only orphan.
        var progress = await new ThreadArchiver(table, threads, payloads).SealAsync(User, "t2", 10, default);
        Assert.True(progress!.Complete);
        var sealedThread = progress.Thread;
        Assert.Equal(50, sealedThread.SealedThrough);
        Assert.Equal(orphans, await new OrphanPayloads(table, container).FindAsync(User, TimeSpan.Zero, DateTimeOffset.UtcNow.AddMinutes(1)));
        (items, _) = await messages.ListAsync(User, sealedThread, true, 100, null, default);
        Assert.Equal(appended.Messages.Select(m => m.Content).Reverse(), items.Select(m => m.Content));
    }
}
