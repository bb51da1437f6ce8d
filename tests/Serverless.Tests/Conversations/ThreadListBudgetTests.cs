using Serverless.Storage.Conversations;
using Serverless.Storage.Users;
using Serverless.Tests.Storage;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class ThreadListBudgetTests : TableTestBase
{
    [Fact]
    public async Task AFilteredList_ScansAtMostTheBudgetPerRequest_AndReturnsAShortPageWithACursor()
    {
        var user = UserPartition.For("dave");
        var store = new ThreadStore(Table, TimeProvider.System, await LifecycleWorld.ExpiryForAsync(Table));
        var start = DateTimeOffset.UtcNow;

        // The only live thread is the oldest; 520 newer archived threads sit in front of it in both orders.
        await store.CreateAsync(user, ThreadRecord.New("live", null, null, false, false, start, ThreadLineage.None), null, default);
        await Parallel.ForEachAsync(Enumerable.Range(0, 520), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
            await store.CreateAsync(user, ThreadRecord.New($"a{i}", null, null, false, true, start.AddSeconds(1 + i), ThreadLineage.None), null, ct));

        var filter = new ThreadFilter(Archived: false, Starred: null, Deleted: false);
        foreach (var order in new[] { ThreadOrder.Recent, ThreadOrder.Created })
        {
            RoundTrips.Reset();
            var (first, cursor) = await store.ListAsync(user, order, filter, 20, null, default);
            var firstTrips = RoundTrips.Count;
            var (second, end) = await store.ListAsync(user, order, filter, 20, cursor, default);

            Assert.Empty(first);
            Assert.NotNull(cursor);
            Assert.True(firstTrips <= ConversationLimits.ListScanBudget / 100, $"{firstTrips} round trips");
            Assert.Equal(["live"], second.Select(t => t.Id));
            Assert.Null(end);
        }
    }

    [Fact]
    public async Task AnUnfilteredPage_ReadsOnlyItsOwnRows()
    {
        var user = UserPartition.For("erin");
        var store = new ThreadStore(Table, TimeProvider.System, await LifecycleWorld.ExpiryForAsync(Table));
        for (var i = 0; i < 30; i++)
        {
            await store.CreateAsync(user, ThreadRecord.New($"t{i}", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        }

        RoundTrips.Reset();
        var (page, cursor) = await store.ListAsync(user, ThreadOrder.Recent, new ThreadFilter(null, null, false), 10, null, default);

        Assert.Equal(10, page.Count);
        Assert.NotNull(cursor);
        Assert.Equal(1, RoundTrips.Count);
    }
}
