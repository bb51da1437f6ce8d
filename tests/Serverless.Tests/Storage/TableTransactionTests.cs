using Azure;
using Azure.Data.Tables;
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

        var etags = await Table.SubmitAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("tx", "add") { ["V"] = "new" }),
            new(TableTransactionActionType.UpdateReplace, new TableEntity("tx", "replace") { ["V"] = 2 }, replaceETag),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("tx", "merge") { ["B"] = 2 }, ETag.All),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("tx", "upsert1") { ["V"] = 3 }),
            new(TableTransactionActionType.UpsertMerge, new TableEntity("tx", "upsert2") { ["V"] = 4 }),
            new(TableTransactionActionType.Delete, new TableEntity("tx", "delete")),
        ]);

        var rows = (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"tx"}"))).ToDictionary(e => e.RowKey);
        Assert.Equal(["add", "merge", "replace", "upsert1", "upsert2"], rows.Keys.Order());
        Assert.Equal(2, rows["replace"].GetInt32("V"));
        Assert.Equal(["A", "B"], EntityLimits.CustomProperties(rows["merge"]).Select(p => p.Key).Order());
        Assert.Equal(6, etags.Count);
        Assert.Equal(rows["add"].ETag, etags[0]);
        Assert.Equal(rows["replace"].ETag, etags[1]);
        Assert.Null(etags[5]);
    }

    [Fact]
    public async Task Transaction_WithOneFailingOperation_ChangesNothingAndNamesTheIndex()
    {
        await Table.InsertAsync(new TableEntity("fail", "exists") { ["V"] = "original" });

        var error = await Assert.ThrowsAsync<TableTransactionFailedException>(() => Table.SubmitAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("fail", "a")),
            new(TableTransactionActionType.UpsertReplace, new TableEntity("fail", "b")),
            new(TableTransactionActionType.Add, new TableEntity("fail", "exists") { ["V"] = "clobbered" }),
            new(TableTransactionActionType.Add, new TableEntity("fail", "c")),
        ]));

        Assert.Equal(409, error.Status);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.Equal(2, error.FailedActionIndex());
        var rows = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"fail"}"));
        Assert.Equal(["exists"], rows.Select(r => r.RowKey));
        Assert.Equal("original", rows[0].GetString("V"));
    }

    [Fact]
    public async Task Transaction_StaleETag_Fails412WithItsIndex()
    {
        var etag = await Table.InsertAsync(new TableEntity("stale", "r") { ["V"] = 1 });
        await Table.MergeAsync(new TableEntity("stale", "r") { ["V"] = 2 }, etag);

        var error = await Assert.ThrowsAsync<TableTransactionFailedException>(() => Table.SubmitAsync(
        [
            new(TableTransactionActionType.Add, new TableEntity("stale", "other")),
            new(TableTransactionActionType.UpdateMerge, new TableEntity("stale", "r") { ["V"] = 3 }, etag),
        ]));

        Assert.Equal(412, error.Status);
        Assert.Equal(1, error.FailedActionIndex());
        Assert.Null(await Table.FindAsync("stale", "other"));
    }

    [Fact]
    public async Task Transaction_OfOneHundredRows_Succeeds_AndOneHundredOneIsRefusedBeforeSending()
    {
        var hundred = Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("max", $"r{i:D3}"))).ToList();
        await Table.SubmitAsync(hundred);
        var before = RoundTrips.Count;

        var tooMany = Enumerable.Range(0, 101).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("max2", $"r{i:D3}"))).ToList();

        Assert.Throws<ArgumentException>(() => Table.SubmitAsync(tooMany).GetAwaiter().GetResult());
        Assert.Equal(before, RoundTrips.Count);
        Assert.Equal(100, (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"max"}"))).Count);
    }

    [Fact]
    public async Task Transaction_AcrossPartitionsOrWithADuplicateRow_IsRefusedBeforeSending()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitAsync(
            [new(TableTransactionActionType.Add, new TableEntity("a", "r")), new(TableTransactionActionType.Add, new TableEntity("b", "r"))]));
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitAsync(
            [new(TableTransactionActionType.Add, new TableEntity("a", "r")), new(TableTransactionActionType.UpsertMerge, new TableEntity("a", "r"))]));
        await Assert.ThrowsAsync<ArgumentException>(() => Table.SubmitAsync([]));
        Assert.Equal(0, RoundTrips.Count - 1); // only the table creation went out
    }

    [Fact]
    public async Task Transaction_OverFourMebibytes_IsRefusedWithTheServiceError()
    {
        var actions = Enumerable.Range(0, 100).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity("huge", $"r{i}") { ["A"] = new string('x', 30_000), ["B"] = new string('y', 30_000) })).ToList();

        var before = RoundTrips.Count;
        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Table.SubmitAsync(actions));

        Assert.Equal(413, error.Status);
        Assert.Equal("RequestBodyTooLarge", error.ErrorCode);
        Assert.Equal(before, RoundTrips.Count);
    }

    [Fact]
    public async Task Transaction_UpdateWithoutAnETag_IsConditionalOnExistence_NotAnUpsert()
    {
        var error = await Assert.ThrowsAsync<TableTransactionFailedException>(() => Table.SubmitAsync(
            [new(TableTransactionActionType.UpdateReplace, new TableEntity("cond", "missing") { ["V"] = 1 })]));

        Assert.Equal(404, error.Status);
        Assert.Null(await Table.FindAsync("cond", "missing"));
    }

    [Fact]
    public async Task Transaction_KeysWithQuotesAndEscapes_Work()
    {
        var pk = KeyEncoding.EncodeKey("user'with/odd#key?");
        var rk = KeyEncoding.Compose("setting", "ns|x", "O'Brien 100%");
        await Table.SubmitAsync([new(TableTransactionActionType.UpsertReplace, new TableEntity(pk, rk) { ["V"] = "v" })]);

        var read = await Table.FindAsync(pk, rk);
        await Table.SubmitAsync([new(TableTransactionActionType.Delete, new TableEntity(pk, rk))]);

        Assert.Equal("v", read!.GetString("V"));
        Assert.Null(await Table.FindAsync(pk, rk));
        Assert.Equal(["setting", "ns|x", "O'Brien 100%"], KeyEncoding.Split(rk));
    }
}
