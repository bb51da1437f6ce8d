using System.Globalization;
using Serverless.Bench.App;
using Serverless.Storage.Conversations;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>--only scale</c>: a page of 20 messages through the API (asc from the start, desc from the
/// end, and asc from the middle by cursor) on a 100,000-message thread against the same pages on a
/// 100-message thread of the same user in the same table, interleaved. Also the 100-message
/// thread's pages before the big thread existed, because Azurite's own query cost grows with the
/// rows of the table (see the printed comment), and the storage round trips of each page.
/// </summary>
internal static class ScalePart
{
    public static readonly string[] Options = ["big-messages", "scale-samples"];

    public const string Help = "--big-messages N (100000) messages of the big thread; --scale-samples N (40) timed pages of each kind and thread";

    private const int SmallMessages = 100;
    private const int PageSize = 20;
    private const int Warmup = 3;

    public static Task<int> RunAsync(ConversationsContext context, BenchOptions options)
    {
        var settings = Settings.From(options);
        return ConversationsDeployment.RunWithAppAsync(context, (deployment, app) => MeasureAsync(deployment, app, settings));
    }

    private static async Task MeasureAsync(ConversationsDeployment deployment, RunningApp app, Settings settings)
    {
        const string smallId = "small";
        const string bigId = "big";
        var big = settings.BigMessages;
        await deployment.CreateThreadAsync(smallId);
        await deployment.FillAsync(smallId, SmallMessages, ConversationLimits.MaxAppendRowsWithUsage, Message);

        var smallPages = Pages(deployment, smallId, SmallMessages);
        var bigPages = Pages(deployment, bigId, big);
        await VerifyAsync(app, smallPages);

        // The small thread alone in the table first: the control for Azurite's table-size cost.
        Figures.Progress($"scale: {settings.Samples} pages of each kind on the {SmallMessages}-message thread, before the big thread exists");
        var beforeFill = await TimeAsync(app, [smallPages], settings.Samples);

        await deployment.CreateThreadAsync(bigId);
        Figures.Progress($"scale: filling a {big:N0}-message thread, {ConversationLimits.MaxAppendRowsWithUsage} messages per append");
        var (bigThread, fill) = await deployment.FillAsync(bigId, big, ConversationLimits.MaxAppendRowsWithUsage, Message, "scale fill");
        if (bigThread.NextSequence != big + 1)
        {
            throw new InvalidOperationException($"the big thread ends at {bigThread.NextSequence - 1}, expected {big}");
        }

        var appends = (big + ConversationLimits.MaxAppendRowsWithUsage - 1) / ConversationLimits.MaxAppendRowsWithUsage;
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"fill = {appends:N0} sequential MessageStore.AppendAsync calls of up to {ConversationLimits.MaxAppendRowsWithUsage} ~200-char messages each (one transaction each) from the bench process"));
        Figures.Write($"fill {big:N0}-message thread: seconds", fill.TotalSeconds, "0.0");
        Figures.Write($"fill {big:N0}-message thread: messages per second", big / fill.TotalSeconds, "0");

        // Round trips of each page with our store (the endpoint adds one thread read).
        var roundTrips = new List<long>();
        foreach (var (_, descending, after, _) in bigPages.Kinds)
        {
            deployment.RoundTrips.Reset();
            var (items, _) = await deployment.Messages.ListAsync(deployment.User, bigThread, descending, PageSize, after, default);
            roundTrips.Add(deployment.RoundTrips.Reset());
            if (items.Count != PageSize)
            {
                throw new InvalidOperationException($"a page of the big thread held {items.Count} messages");
            }
        }

        await VerifyAsync(app, bigPages);
        Figures.Progress($"scale: {settings.Samples} pages of each kind on both threads, interleaved");
        var afterFill = await TimeAsync(app, [bigPages, smallPages], settings.Samples);

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"page = GET /api/v1/threads/{{id}}/messages?limit={PageSize} through the published server: asc from the start; order=desc from the end; "
            + $"asc from the middle with the cursor the server hands out after message {big / 2:N0} (resp. {SmallMessages / 2}), minted with its signing key.\n"
            + $"Both threads belong to one user in one table (as in production); {Warmup} untimed then {settings.Samples} timed pages of each kind and thread, "
            + $"big and small alternating (which goes first flips every round). Each page was checked (20 items, expected first sequence number).\n"
            + $"Azurite (LokiJS, in memory) answers every query by testing each row of the table against the filter, then sorting the matches: its time grows with the "
            + $"table's rows and, for an open-ended asc range, with the rows after the start point. Azure Table storage seeks the (PartitionKey, RowKey) index and reads "
            + $"only the rows it returns. The storage round trips per page (below) are what our code decides; 'before big fill' is the small thread alone in the table."));
        var labels = new[] { "asc from the start", "desc from the end", "asc from the middle (cursor)" };
        for (var k = 0; k < labels.Length; k++)
        {
            var name = $"page of {PageSize} {labels[k]}";
            Figures.Write($"{name}: {big:N0}-message thread p50 ms", afterFill[0][k].Percentile(0.5), "0.00");
            Figures.Write($"{name}: {SmallMessages}-message thread p50 ms", afterFill[1][k].Percentile(0.5), "0.00");
            Figures.Write($"{name}: ratio {big:N0}/{SmallMessages}", afterFill[0][k].Percentile(0.5) / afterFill[1][k].Percentile(0.5));
            Figures.Write($"{name}: {SmallMessages}-message thread before big fill p50 ms", beforeFill[0][k].Percentile(0.5), "0.00");
            Figures.Write($"{name}: MessageStore round trips on the {big:N0}-message thread", roundTrips[k]);
        }
    }

    /// <summary>The three page requests of a thread of <paramref name="count"/> messages and the first sequence number each must return.</summary>
    private static ThreadPages Pages(ConversationsDeployment deployment, string threadId, int count)
    {
        var path = $"api/v1/threads/{threadId}/messages?limit={PageSize}";
        var middle = count / 2;
        return new ThreadPages(threadId,
        [
            (path, false, null, 1),
            (path + "&order=desc", true, null, count),
            (path + "&cursor=" + Uri.EscapeDataString(deployment.MessagesCursor(threadId, false, middle)), false, middle, middle + 1),
        ]);
    }

    private static async Task VerifyAsync(RunningApp app, ThreadPages pages)
    {
        foreach (var (path, descending, _, first) in pages.Kinds)
        {
            var sequences = ApiCalls.Sequences(await ApiCalls.GetAsync(app.Client, path));
            var expected = Enumerable.Range(0, PageSize).Select(i => descending ? first - i : first + i);
            if (!sequences.SequenceEqual(expected))
            {
                throw new InvalidOperationException($"{path} returned sequences {string.Join(',', sequences.Take(3))}…, expected from {first}");
            }
        }
    }

    /// <summary>Times every kind of page of every thread, rounds of one page each, the order rotating; returns [thread][kind].</summary>
    private static async Task<LatencySample[][]> TimeAsync(RunningApp app, ThreadPages[] threads, int samples)
    {
        var result = threads.Select(t => t.Kinds.Select(_ => new LatencySample()).ToArray()).ToArray();
        for (var round = 0; round < Warmup + samples; round++)
        {
            for (var k = 0; k < 3; k++)
            {
                for (var j = 0; j < threads.Length; j++)
                {
                    var t = (j + round) % threads.Length;
                    var elapsed = await ApiCalls.TimeAsync(() => ApiCalls.GetAsync(app.Client, threads[t].Kinds[k].Path));
                    if (round >= Warmup)
                    {
                        result[t][k].Add(elapsed);
                    }
                }
            }
        }

        return result;
    }

    private static NewMessage Message(int i) => new(null, i % 2 == 0 ? "user" : "assistant", ChatText.Make(i, 200), null, null, 10, 20, 0.001, null);

    private sealed record ThreadPages(string ThreadId, (string Path, bool Descending, long? After, long First)[] Kinds);

    internal sealed record Settings(int BigMessages, int Samples)
    {
        public static Settings From(BenchOptions options) => new(
            options.GetInt("big-messages", 100_000, 1_000, 1_000_000),
            options.GetInt("scale-samples", 40, 5, 10_000));
    }
}
