using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage.Conversations;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

/// <summary>Archive segments at the limits of a transaction, on the stores against Azurite.</summary>
public sealed class ArchiveStoreTests : IAsyncLifetime
{
    private static readonly UserPartition User = UserPartition.For("dora");
    private TableClient table = null!;
    private BlobContainerClient container = null!;

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        table = azurite.Table(Azurite.UniqueName("arch"));
        await table.CreateIfNotExistsAsync();
        container = azurite.Container(Azurite.UniqueName("arch"));
        await container.CreateIfNotExistsAsync();
    }

    public async Task DisposeAsync()
    {
        await table.DeleteAsync();
        await container.DeleteIfExistsAsync();
    }

    [Fact]
    public async Task MessagesThatEscapeToLargeJson_AreCutIntoSmallerSegments_SoUnarchiveFitsATransaction()
    {
        // 99 inline messages of 16,000 CJK characters: each takes ~96 KB as escaped JSON (6 bytes a
        // character), so 97 of them would be a ~9 MB unarchive transaction, over the 4 MiB limit.
        var threads = new ThreadStore(table, TimeProvider.System, await LifecycleWorld.ExpiryForAsync(table));
        var payloads = new PayloadStore(container);
        var messages = new MessageStore(table, threads, payloads, TimeProvider.System);
        var archiver = new ThreadArchiver(table, threads, payloads);
        await threads.CreateAsync(User, ThreadRecord.New("wide", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        var text = new string('中', 16_000);
        for (var batch = 0; batch < 3; batch++)
        {
            var appended = await messages.AppendAsync(User, "wide", Enumerable.Range(0, 33).Select(i => new NewMessage(null, "user", $"{batch}-{i}:{text}", null, null, null, null, null, null)).ToList(), default);
            Assert.DoesNotContain(appended!.Messages, m => m.ContentOffloaded);
        }

        var sealedThread = (await archiver.SealAsync(User, "wide", 100, default))!;
        Assert.True(sealedThread.Complete);
        Assert.Equal(99, sealedThread.Thread.SealedThrough);
        var segmentRows = await table.ReadAllAsync(TableFilters.RowKeyStartsWith(User.Key, UserRowKeys.SegmentsOf("wide")));
        Assert.InRange(segmentRows.Count, 3, 99);
        Assert.Empty(await table.ReadAllAsync(TableFilters.RowKeyStartsWith(User.Key, UserRowKeys.MessagesOf("wide"))));

        var (items, _) = await messages.ListAsync(User, sealedThread.Thread, false, 100, null, default);
        Assert.Equal(99, items.Count);
        Assert.All(items, m => Assert.EndsWith(text, m.Content, StringComparison.Ordinal));

        var restored = (await archiver.UnsealAsync(User, "wide", 100, default))!;
        Assert.True(restored.Complete);
        Assert.Equal(99, (await table.ReadAllAsync(TableFilters.RowKeyStartsWith(User.Key, UserRowKeys.MessagesOf("wide")))).Count);
        (items, _) = await messages.ListAsync(User, restored.Thread, true, 100, null, default);
        Assert.Equal(Enumerable.Range(1, 99).Reverse().Select(i => (long)i), items.Select(m => m.Sequence));
    }
}
