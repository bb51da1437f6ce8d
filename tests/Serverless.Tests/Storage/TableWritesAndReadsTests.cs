using Azure;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Tables;

namespace Serverless.Tests.Storage;

/// <summary>The writes and reads our stores make through <see cref="StorageWrites"/> and <see cref="TableReads"/>, against Azurite.</summary>
public sealed class TableWritesAndReadsTests : TableTestBase
{
    [Fact]
    public async Task InsertThenFind_ReturnsEveryPropertyAndTheETag()
    {
        var entity = new TableEntity("p1", "r1") { ["Name"] = "Ada", ["Count"] = 3, ["Big"] = 1L << 40, ["Cost"] = 2.0, ["Gone"] = null };
        var etag = await Table.InsertAsync(entity);

        var read = await Table.FindAsync("p1", "r1");

        Assert.NotNull(read);
        Assert.Equal(etag, read.ETag);
        Assert.Equal("Ada", read.GetString("Name"));
        Assert.Equal(3, read.GetInt32("Count"));
        Assert.Equal(1L << 40, read.GetInt64("Big"));
        Assert.Equal(2.0, read.GetDouble("Cost"));
        Assert.False(read.ContainsKey("Gone"));
        Assert.NotNull(read.Timestamp);
    }

    [Fact]
    public async Task Find_MissingEntity_ReturnsNull()
    {
        Assert.Null(await Table.FindAsync("p", "missing"));
    }

    [Fact]
    public async Task Insert_ExistingEntity_ThrowsConflict()
    {
        await Table.InsertAsync(new TableEntity("p", "dup") { ["V"] = 1 });

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.InsertAsync(new TableEntity("p", "dup") { ["V"] = 2 }));

        Assert.Equal(409, error.Status);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.IsNotType<RetriedConflictException>(error);
    }

    [Fact]
    public async Task Replace_WithStaleETag_Throws412AndKeepsTheWinner()
    {
        var first = await Table.InsertAsync(new TableEntity("p", "r") { ["V"] = 1 });
        await Table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 2 }, first);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.ReplaceAsync(new TableEntity("p", "r") { ["V"] = 3 }, first));

        Assert.Equal(412, error.Status);
        Assert.Equal(2, (await Table.FindAsync("p", "r"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Replace_RemovesPropertiesNotWritten_MergeKeepsThem()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "r") { ["A"] = "a", ["B"] = "b" });

        etag = await Table.MergeAsync(new TableEntity("p", "r") { ["C"] = "c" }, etag);
        var merged = await Table.FindAsync("p", "r");
        await Table.ReplaceAsync(new TableEntity("p", "r") { ["D"] = "d" }, etag);
        var replaced = await Table.FindAsync("p", "r");

        Assert.Equal(["A", "B", "C"], Names(merged!));
        Assert.Equal(["D"], Names(replaced!));
    }

    [Fact]
    public async Task Update_MissingEntity_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.MergeAsync(new TableEntity("p", "none") { ["A"] = 1 }, ETag.All));

        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task Upsert_CreatesThenReplacesOrMerges()
    {
        await Table.UpsertAsync(new TableEntity("p", "u") { ["A"] = 1 }, TableUpdateMode.Replace);
        await Table.UpsertAsync(new TableEntity("p", "u") { ["B"] = 2 }, TableUpdateMode.Merge);
        var merged = await Table.FindAsync("p", "u");
        await Table.UpsertAsync(new TableEntity("p", "u") { ["C"] = 3 }, TableUpdateMode.Replace);
        var replaced = await Table.FindAsync("p", "u");

        Assert.Equal(["A", "B"], Names(merged!));
        Assert.Equal(["C"], Names(replaced!));
    }

    [Fact]
    public async Task Delete_HonoursETag_AndReportsWhetherItDeleted()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "d") { ["A"] = 1 });
        await Table.MergeAsync(new TableEntity("p", "d") { ["A"] = 2 }, etag);

        var stale = await Assert.ThrowsAsync<RequestFailedException>(() => Table.DeleteRowAsync("p", "d", etag));
        var deleted = await Table.DeleteRowAsync("p", "d", ETag.All);
        var again = await Table.DeleteRowAsync("p", "d", ETag.All);

        Assert.Equal(412, stale.Status);
        Assert.True(deleted);
        Assert.False(again);
        Assert.Null(await Table.FindAsync("p", "d"));
    }

    [Fact]
    public async Task Find_WithSelect_ReturnsOnlyThoseProperties()
    {
        await Table.InsertAsync(new TableEntity("p", "s") { ["A"] = 1, ["B"] = 2 });

        var read = await Table.FindAsync("p", "s", ["B"]);

        Assert.Equal(["B"], Names(read!));
        Assert.Equal("s", read!.RowKey);
    }

    [Fact]
    public async Task ReadPage_FillsEachPageAcrossServicePages_AndFollowsContinuations()
    {
        for (var batch = 0; batch < 3; batch++)
        {
            await Table.SubmitAsync(Enumerable.Range(batch * 100, 100)
                .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("q", $"row{i:D4}") { ["I"] = i }))
                .ToList());
        }

        var pages = new List<TablePage>();
        string? next = null;
        do
        {
            var page = await Table.ReadPageAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"q"}"), 70, next);
            pages.Add(page);
            next = page.Continuation;
        }
        while (next is not null);

        Assert.Equal([70, 70, 70, 70, 20], pages.Select(p => p.Entities.Count));
        Assert.Equal(Enumerable.Range(0, 300), pages.SelectMany(p => p.Entities).Select(e => e.GetInt32("I")!.Value));
    }

    [Fact]
    public async Task ReadPage_ResumesFromAContinuationTakenEarlier()
    {
        await Table.SubmitAsync(Enumerable.Range(0, 10)
            .Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("c", $"r{i}"))).ToList());
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {"c"}");

        var first = await Table.ReadPageAsync(filter, 4);
        var rest = await Table.ReadPageAsync(filter, 100, first.Continuation);

        Assert.Equal(["r4", "r5", "r6", "r7", "r8", "r9"], rest.Entities.Select(e => e.RowKey));
        Assert.Null(rest.Continuation);
    }

    [Fact]
    public async Task RowKeyStartsWith_ScansExactlyThePrefix()
    {
        string[] keys = ["msg|a|1", "msg|a|2", "msg|ab|1", "msg|b|1", "msg|a", "msh"];
        await Table.SubmitAsync(keys.Select(k => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("pre", k))).ToList());

        var found = await Table.ReadAllAsync(TableFilters.RowKeyStartsWith("pre", "msg|a|"));

        Assert.Equal(["msg|a|1", "msg|a|2"], found.Select(e => e.RowKey));
    }

    [Fact]
    public async Task Insert_EntityTooLarge_IsRefusedBeforeSendingWithTheServiceCode()
    {
        var entity = new TableEntity("p", "big");
        for (var i = 0; i < 40; i++)
        {
            entity[$"P{i}"] = new string('x', 32_000);
        }

        var before = RoundTrips.Count;
        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.InsertAsync(entity));

        Assert.Equal(400, error.Status);
        Assert.Equal("EntityTooLarge", error.ErrorCode);
        Assert.Equal(before, RoundTrips.Count);
    }

    [Theory]
    [InlineData("PropertyValueTooLarge")]
    [InlineData("TooManyProperties")]
    [InlineData("KeyValueTooLarge")]
    public async Task Insert_OverAnotherLimit_IsRefusedBeforeSending(string code)
    {
        var entity = code == "KeyValueTooLarge" ? new TableEntity("p", new string('k', KeyEncoding.MaxKeyLength + 1)) : new TableEntity("p", "limits");
        if (code == "PropertyValueTooLarge")
        {
            entity["Text"] = new string('x', EntityLimits.MaxStringChars + 1);
        }
        else if (code == "TooManyProperties")
        {
            for (var i = 0; i <= EntityLimits.MaxCustomProperties; i++)
            {
                entity[$"P{i}"] = i;
            }
        }

        var before = RoundTrips.Count;
        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.InsertAsync(entity));

        Assert.Equal(code, error.ErrorCode);
        Assert.Equal(before, RoundTrips.Count);
    }

    private static string[] Names(TableEntity entity) => EntityLimits.CustomProperties(entity).Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
}
