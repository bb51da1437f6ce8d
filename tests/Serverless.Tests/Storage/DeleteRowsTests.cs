using Azure;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Tables;

namespace Serverless.Tests.Storage;

/// <summary>Batch deletes skip rows already gone or changed since they were read, and say which rows they deleted.</summary>
public sealed class DeleteRowsTests : TableTestBase
{
    [Fact]
    public async Task RowsGoneOrChanged_AreLeftOut_AndTheRestAreDeletedInTransactions()
    {
        for (var i = 0; i < 150; i++)
        {
            await Table.AddEntityAsync(new TableEntity("p", $"r{i:D3}") { ["V"] = i });
        }

        var read = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"p"}"));
        await Table.DeleteEntityAsync("p", "r010");
        await Table.UpdateEntityAsync(new TableEntity("p", "r120") { ["V"] = -1 }, ETag.All, TableUpdateMode.Replace);
        RoundTrips.Reset();

        var deleted = await Table.DeleteRowsAsync(read);

        Assert.Equal(4, RoundTrips.Count); // transactions of 100 and 50, each sent again once without its failed row
        Assert.Equal(148, deleted.Count);
        Assert.DoesNotContain(deleted, r => r.RowKey is "r010" or "r120");
        Assert.Equal(["r120"], (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"p"}"))).Select(r => r.RowKey));
        Assert.Empty(await Table.DeleteRowsAsync(read));
    }
}
