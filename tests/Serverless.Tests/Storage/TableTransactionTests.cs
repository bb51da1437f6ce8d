using Azure;
using Serverless.Storage;
using Serverless.Storage.Tables;

namespace Serverless.Tests.Storage;

public sealed class TableTransactionTests : TableTestBase
{
    [Fact]
    public async Task Transaction_AppliesEveryKindOfOperationTogether()
    {
        var replaceETag = await Table.InsertAsync(new TableEntity("tx", "replace") { ["V"] = 1 });
        await Table.InsertAsync(new TableEntity("tx", "merge") { ["A"] = 1 });
        await Table.InsertAsync(new TableEntity("tx", "delete"));

        var etags = await Table.SubmitTransactionAsync(
        [
            new(TableActionType.Add, new TableEntity("tx", "add") { ["V"] = "new" }),
            new(TableActionType.UpdateReplace, new TableEntity("tx", "replace") { ["V"] = 2 }, replaceETag),
            new(TableActionType.UpdateMerge, new TableEntity("tx", "merge") { ["B"] = 2 }, ETag.All),
            new(TableActionType.UpsertReplace, new TableEntity("tx", "upsert1") { ["V"] = 3 }),
            new(TableActionType.UpsertMerge, new TableEntity("tx", "upsert2") { ["V"] = 4 }),
            new(TableActionType.Delete, new TableEntity("tx", "delete")),
        ]);

        var rows = (await Table.QueryAllAsync(ODataFilter.PartitionKeyEquals("tx"))).ToDictionary(e => e.RowKey);
        Assert.Equal(["add", "merge", "replace", "upsert1", "upsert2"], rows.Keys.Order());
        Assert.Equal(2, rows["replace"].GetInt32("V"));
        Assert.Equal(["A", "B"], rows["merge"].Properties.Keys.Order());
        Assert.Equal(6, etags.Count);
        Assert.Equal(rows["add"].ETag, etags[0]);
        Assert.Equal(rows["replace"].ETag, etags[1]);
        Assert.Null(etags[5]);
    }

    [Fact]
    public async Task Transaction_WithOneFailingOperation_ChangesNothingAndNamesTheIndex()
    {
        await Table.InsertAsync(new TableEntity("fail", "exists") { ["V"] = "original" });

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.SubmitTransactionAsync(
        [
            new(TableActionType.Add, new TableEntity("fail", "a")),
            new(TableActionType.UpsertReplace, new TableEntity("fail", "b")),
            new(TableActionType.Add, new TableEntity("fail", "exists") { ["V"] = "clobbered" }),
            new(TableActionType.Add, new TableEntity("fail", "c")),
        ]));

        Assert.Equal(409, error.Status);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.Equal(2, error.FailedOperationIndex);
        var rows = await Table.QueryAllAsync(ODataFilter.PartitionKeyEquals("fail"));
        Assert.Equal(["exists"], rows.Select(r => r.RowKey));
        Assert.Equal("original", rows[0].GetString("V"));
    }

    [Fact]
    public async Task Transaction_StaleETag_Fails412WithItsIndex()
    {
        var etag = await Table.InsertAsync(new TableEntity("stale", "r") { ["V"] = 1 });
        await Table.MergeAsync(new TableEntity("stale", "r") { ["V"] = 2 }, etag);

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.SubmitTransactionAsync(
        [
            new(TableActionType.Add, new TableEntity("stale", "other")),
            new(TableActionType.UpdateMerge, new TableEntity("stale", "r") { ["V"] = 3 }, etag),
        ]));

        Assert.True(error.IsPreconditionFailed);
        Assert.Equal(1, error.FailedOperationIndex);
        Assert.Null(await Table.GetAsync("stale", "other"));
    }

    [Fact]
    public async Task Transaction_OfOneHundredRows_Succeeds_AndOneHundredOneIsRefusedBeforeSending()
    {
        var hundred = Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableActionType.Add, new TableEntity("max", $"r{i:D3}"))).ToList();
        await Table.SubmitTransactionAsync(hundred);
        var before = RoundTrips.Count;

        var tooMany = Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableActionType.Add, new TableEntity("max2", $"r{i:D3}"))).ToList();

        Assert.Throws<ArgumentException>(() => Table.SubmitTransactionAsync(tooMany).GetAwaiter().GetResult());
        Assert.Equal(before, RoundTrips.Count);
        Assert.Equal(100, (await Table.QueryAllAsync(ODataFilter.PartitionKeyEquals("max"))).Count);
    }

    [Fact]
    public async Task Transaction_AcrossPartitionsOrWithADuplicateRow_IsRefusedBeforeSending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitTransactionAsync(
            [new(TableActionType.Add, new TableEntity("a", "r")), new(TableActionType.Add, new TableEntity("b", "r"))]));
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitTransactionAsync(
            [new(TableActionType.Add, new TableEntity("a", "r")), new(TableActionType.UpsertMerge, new TableEntity("a", "r"))]));
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitTransactionAsync([]));
        Assert.Equal(0, RoundTrips.Count - 1); // only the table creation went out
    }

    [Fact]
    public async Task Transaction_OverFourMebibytes_IsRefusedWithTheServiceError()
    {
        var actions = Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableActionType.Add,
            new TableEntity("huge", $"r{i}") { ["A"] = new string('x', 30_000), ["B"] = new string('y', 30_000) })).ToList();

        var error = await Assert.ThrowsAsync<StorageException>(() => Table.SubmitTransactionAsync(actions));

        Assert.Equal(413, error.Status);
        Assert.Equal("RequestBodyTooLarge", error.ErrorCode);
    }

    [Fact]
    public async Task Transaction_KeysWithQuotesAndEscapes_Work()
    {
        var pk = KeyEncoding.EncodeKey("user'with/odd#key?");
        var rk = KeyEncoding.Compose("setting", "ns|x", "O'Brien 100%");
        await Table.SubmitTransactionAsync([new(TableActionType.UpsertReplace, new TableEntity(pk, rk) { ["V"] = "v" })]);

        var read = await Table.GetAsync(pk, rk);
        await Table.SubmitTransactionAsync([new(TableActionType.Delete, new TableEntity(pk, rk))]);

        Assert.Equal("v", read!.GetString("V"));
        Assert.Null(await Table.GetAsync(pk, rk));
        Assert.Equal(["setting", "ns|x", "O'Brien 100%"], KeyEncoding.Split(rk));
    }
}
