using Azure;
using Serverless.Storage;
using Serverless.Storage.Tables;

namespace Serverless.Tests.Storage;

public sealed class TableClientTests : TableTestBase
{
    [Fact]
    public async Task InsertThenGet_ReturnsEveryPropertyAndTheETag()
    {
        var entity = new TableEntity("p1", "r1") { ["Name"] = "Ada", ["Count"] = 3, ["Big"] = 1L << 40 };
        var etag = await Table.InsertAsync(entity);

        var read = await Table.GetAsync("p1", "r1");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal("Ada", read.GetString("Name"));
        Assert.Equal(3, read.GetInt32("Count"));
        Assert.Equal(1L << 40, read.GetInt64("Big"));
        Assert.NotNull(read.Timestamp);
    }

    [Fact]
    public async Task Get_MissingEntity_ReturnsNull()
    {
        Assert.Null(await Table.GetAsync("p", "missing"));
    }

    [Fact]
    public async Task Insert_ExistingEntity_ThrowsConflict()
    {
        await Table.InsertAsync(new TableEntity("p", "dup") { ["V"] = 1 });

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.InsertAsync(new TableEntity("p", "dup") { ["V"] = 2 }));

        Assert.True(error.IsConflict);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.False(error.WasRetried);
    }

    [Fact]
    public async Task Replace_WithStaleETag_Throws412AndKeepsTheWinner()
    {
        var first = await Table.InsertAsync(new TableEntity("p", "r") { ["V"] = 1 });
        await Table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 2 }, first);

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 3 }, first));

        Assert.True(error.IsPreconditionFailed);
        Assert.Equal(2, (await Table.GetAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Replace_RemovesPropertiesNotWritten_MergeKeepsThem()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" });

        etag = await Table.MergeAsync(new TableEntity("p", "r") { ["C"] = "c" }, etag);
        var merged = await Table.GetAsync("p", "r");
        await Table.ReplaceAsync(new TableEntity("p", "r") { ["D"] = "d" }, etag);
        var replaced = await Table.GetAsync("p", "r");

        Assert.Equal(["A", "B", "C"], merged!.Properties.Keys.Order());
        Assert.Equal(["D"], replaced!.Properties.Keys);
    }

    [Fact]
    public async Task Update_MissingEntity_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Table.MergeAsync(new TableEntity("p", "none") { ["A"] = 1 }, ETag.All));

        Assert.True(error.IsNotFound);
    }

    [Fact]
    public async Task Upsert_CreatesThenReplacesOrMerges()
    {
        await Table.UpsertAsync(new TableEntity("p", "u") { ["A"] = 1 }, TableUpdateMode.Replace);
        await Table.UpsertAsync(new TableEntity("p", "u") { ["B"] = 2 }, TableUpdateMode.Merge);
        var merged = await Table.GetAsync("p", "u");
        await Table.UpsertAsync(new TableEntity("p", "u") { ["C"] = 3 }, TableUpdateMode.Replace);
        var replaced = await Table.GetAsync("p", "u");

        Assert.Equal(["A", "B"], merged!.Properties.Keys.Order());
        Assert.Equal(["C"], replaced!.Properties.Keys);
    }

    [Fact]
    public async Task Delete_HonoursETag_AndReportsWhetherItDeleted()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "d") { ["A"] = 1 });
        await Table.MergeAsync(new TableEntity("p", "d") { ["A"] = 2 }, etag);

        var stale = await Assert.ThrowsAsync<StorageException>(() => Table.DeleteAsync("p", "d", etag));
        var deleted = await Table.DeleteAsync("p", "d", ETag.All);
        var again = await Table.DeleteAsync("p", "d", ETag.All);

        Assert.True(stale.IsPreconditionFailed);
        Assert.True(deleted);
        Assert.False(again);
        Assert.Null(await Table.GetAsync("p", "d"));
    }

    [Fact]
    public async Task Get_WithSelect_ReturnsOnlyThoseProperties()
    {
        await Table.InsertAsync(new TableEntity("p", "s") { ["A"] = 1, ["B"] = 2 });

        var read = await Table.GetAsync("p", "s", ["B"]);

        Assert.Equal(["B"], read!.Properties.Keys);
        Assert.Equal("s", read.RowKey);
    }

    [Fact]
    public async Task Query_FollowsContinuationAcrossPages()
    {
        for (var batch = 0; batch < 3; batch++)
        {
            var actions = Enumerable.Range(batch * 100, 100)
                .Select(i => new TableTransactionAction(TableActionType.Add, new TableEntity("q", $"row{i:D4}") { ["I"] = i }))
                .ToList();
            await Table.SubmitTransactionAsync(actions);
        }

        var pages = new List<TablePage>();
        await foreach (var page in Table.QueryAsync(ODataFilter.PartitionKeyEquals("q"), top: 70))
        {
            pages.Add(page);
        }

        Assert.Equal(300, pages.Sum(p => p.Entities.Count));
        Assert.All(pages, p => Assert.True(p.Entities.Count <= 70));
        Assert.Equal(Enumerable.Range(0, 300), pages.SelectMany(p => p.Entities).Select(e => e.GetInt32("I")!.Value));
        Assert.Null(pages[^1].Continuation);
    }

    [Fact]
    public async Task Query_ResumesFromAContinuationTakenEarlier()
    {
        await Table.SubmitTransactionAsync(Enumerable.Range(0, 10)
            .Select(i => new TableTransactionAction(TableActionType.Add, new TableEntity("c", $"r{i}"))).ToList());

        TablePage? first = null;
        await foreach (var page in Table.QueryAsync(ODataFilter.PartitionKeyEquals("c"), top: 4))
        {
            first = page;
            break;
        }

        var rest = new List<string>();
        await foreach (var page in Table.QueryAsync(ODataFilter.PartitionKeyEquals("c"), top: 4, continuation: first!.Continuation))
        {
            rest.AddRange(page.Entities.Select(e => e.RowKey));
        }

        Assert.Equal(["r4", "r5", "r6", "r7", "r8", "r9"], rest);
    }

    [Fact]
    public async Task RowKeyStartsWith_ScansExactlyThePrefix()
    {
        string[] keys = ["msg|a|1", "msg|a|2", "msg|ab|1", "msg|b|1", "msg|a", "msh"];
        await Table.SubmitTransactionAsync(keys.Select(k => new TableTransactionAction(TableActionType.Add, new TableEntity("pre", k))).ToList());

        var found = await Table.QueryAllAsync(ODataFilter.RowKeyStartsWith("pre", "msg|a|"));

        Assert.Equal(["msg|a|1", "msg|a|2"], found.Select(e => e.RowKey));
    }

    [Fact]
    public async Task Insert_EntityTooLarge_IsAClearStorageError()
    {
        var entity = new TableEntity("p", "big");
        for (var i = 0; i < 40; i++)
        {
            entity[$"P{i}"] = new string('x', 32_000);
        }

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.InsertAsync(entity));

        Assert.Equal(400, error.Status);
        Assert.Contains("EntityTooLarge", error.Message, StringComparison.Ordinal);
    }
}
