using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Payloads;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>bench/run conversations --only roundtrips</c>: storage round trips per conversation operation,
/// counted on the pipeline (<see cref="RoundTripCounter"/>), against the suite's Azurite. Round trips,
/// not time, are what a serverless bill and tail latency follow; they do not depend on the machine.
/// </summary>
internal static class RoundTripsPart
{
    public static async Task<int> RunAsync(Azurite azurite)
    {
        Figures.Progress("roundtrips: counting storage requests per operation");
        var counter = new RoundTripCounter();
        var table = azurite.Table(Azurite.UniqueName("conv"), counter.AddTo);
        await table.CreateIfNotExistsAsync();
        var container = azurite.Container(Azurite.UniqueName("conv"), counter.AddTo);
        await container.CreateIfNotExistsAsync();
        var expiry = azurite.Table(Azurite.UniqueName("conv"), counter.AddTo);
        await expiry.CreateIfNotExistsAsync();
        var threads = new ThreadStore(table, TimeProvider.System, new ExpiryIndex(expiry, new SettingsStore(table), new RetentionPolicy(), TimeProvider.System));
        var messages = new MessageStore(table, threads, new PayloadStore(container), TimeProvider.System);
        var user = UserPartition.For("bench");

        async Task<long> Count(Func<Task> operation)
        {
            counter.Reset();
            await operation();
            return counter.Count;
        }

        static NewMessage Message(int i) => new(null, "user", $"message {i}", null, null, 10, 20, 0.001, null);

        var thread = ThreadRecord.New("bench", "bench", null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None);
        Figures.Write("create thread: round trips", await Count(() => threads.CreateAsync(user, thread, null, default)));
        Figures.Write("append 1 message: round trips", await Count(() => messages.AppendAsync(user, "bench", [Message(0)], default)));
        Figures.Write($"append {ConversationLimits.MaxAppendRowsWithUsage} messages reporting usage (the atomic maximum with the day's usage rollup rows in the same transaction): round trips",
            await Count(() => messages.AppendAsync(user, "bench", Enumerable.Range(1, ConversationLimits.MaxAppendRowsWithUsage).Select(Message).ToList(), default)));
        Figures.Write("append 1 message with 40,000-char content (blob first): round trips",
            await Count(() => messages.AppendAsync(user, "bench", [Message(0) with { Content = new string('x', 40_000) }], default)));

        // Fill to 1,000 messages for the list, fork and transcript figures.
        var current = (await threads.GetAsync(user, "bench", default))!;
        while (current.NextSequence <= 1000)
        {
            var n = (int)Math.Min(ConversationLimits.MaxAppendRowsWithUsage, 1001 - current.NextSequence);
            current = (await messages.AppendAsync(user, "bench", Enumerable.Range(0, n).Select(Message).ToList(), default))!.Thread;
        }

        Figures.Write("get thread: round trips", await Count(() => threads.GetAsync(user, "bench", default)));
        Figures.Write("list threads page (20): round trips", await Count(() => threads.ListAsync(user, ThreadOrder.Recent, new ThreadFilter(false, null, false), 20, null, default)));
        Figures.Write("list messages page asc (20): round trips", await Count(() => messages.ListAsync(user, current, false, 20, null, default)));
        Figures.Write("list messages page desc (20): round trips", await Count(() => messages.ListAsync(user, current, true, 20, null, default)));
        var fork = ThreadRecord.New("fork", null, null, false, false, DateTimeOffset.UtcNow, current.Lineage.ForkAt(current.Id, 500));
        Figures.Write("fork (after reading the parent): round trips", await Count(() => threads.CreateAsync(user, fork, null, default)));

        async Task Transcript(ThreadRecord t)
        {
            await foreach (var _ in messages.StreamAsync(user, t, 100, default))
            {
            }
        }

        Figures.Write("transcript per 1,000 messages (pages of 100, one blob read per offloaded text): round trips", await Count(() => Transcript(current)));

        // Archive: the same thread sealed into segments of 97, then read through them, then restored.
        Figures.Comment($"archive = PATCH archived:true: per segment of {ThreadArchiver.SegmentMessages} messages one query, one blob upload, one transaction; reads then download segment blobs instead of querying rows");
        var archiver = new ThreadArchiver(table, threads, new PayloadStore(container));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        ThreadRecord? archived = null;
        Figures.Write("archive 1,001 messages: round trips", await Count(async () => archived = (await archiver.SealAsync(user, "bench", int.MaxValue, default))!.Thread));
        Figures.Write("archive 1,001 messages: seconds", Math.Round(watch.Elapsed.TotalSeconds, 2));
        Figures.Write("archived: list messages page asc (20): round trips", await Count(() => messages.ListAsync(user, archived!, false, 20, null, default)));
        Figures.Write("archived: list messages page desc (20): round trips", await Count(() => messages.ListAsync(user, archived!, true, 20, null, default)));
        Figures.Write("archived: get one message: round trips", await Count(() => messages.GetAsync(user, archived!, 700, default)));
        var forkRecord = (await threads.GetAsync(user, "fork", default))!;
        Figures.Write("archived parent: fork's list page asc (20) (rows missing, parent row read, page read again from segments): round trips",
            await Count(() => messages.ListAsync(user, forkRecord, false, 20, null, default)));
        Figures.Write("archived: transcript per 1,000 messages: round trips", await Count(() => Transcript(archived!)));
        watch.Restart();
        Figures.Write("unarchive 1,001 messages: round trips", await Count(() => archiver.UnsealAsync(user, "bench", int.MaxValue, default)));
        Figures.Write("unarchive 1,001 messages: seconds", Math.Round(watch.Elapsed.TotalSeconds, 2));
        await table.DeleteAsync();
        await expiry.DeleteAsync();
        await container.DeleteIfExistsAsync();
        return 0;
    }
}
