using System.Globalization;
using System.Net;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Storage.Conversations;
using Azure.Data.Tables;
using Serverless.Storage.Tables;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>--only fork</c>: <c>POST /api/v1/threads/{id}/fork</c> through the published server on a
/// 10,000-message thread against a 100-message thread, at points spread over each, interleaved.
/// A fork copies nothing (its row records the lineage), so its time should not depend on the
/// parent's length; the rows the forks add to the table are counted to show it.
/// </summary>
internal static class ForkPart
{
    public static readonly string[] Options = ["fork-messages", "forks"];

    public const string Help = "--fork-messages N (10000) messages of the big parent; --forks N (50) timed forks of each parent";

    private const int SmallMessages = 100;
    private const int Warmup = 3;

    public static Task<int> RunAsync(ConversationsContext context, BenchOptions options)
    {
        var settings = Settings.From(options);
        return ConversationsDeployment.RunWithAppAsync(context, (deployment, app) => MeasureAsync(deployment, app, settings));
    }

    private static async Task MeasureAsync(ConversationsDeployment deployment, RunningApp app, Settings settings)
    {
        var big = settings.ParentMessages;
        string[] parents = ["big", "small"];
        int[] sizes = [big, SmallMessages];
        Figures.Progress($"fork: filling parents of {big:N0} and {SmallMessages} messages");
        for (var p = 0; p < parents.Length; p++)
        {
            await deployment.CreateThreadAsync(parents[p]);
            await deployment.FillAsync(parents[p], sizes[p], ConversationLimits.MaxAppendRowsWithUsage, i => new NewMessage(null, "user", ChatText.Make(i, 200), null, null, 10, 20, 0.001, null));
        }

        for (var w = 0; w < Warmup; w++)
        {
            foreach (var parent in parents)
            {
                await ForkAsync(app, parent, w + 1);
            }
        }

        var rowsBefore = await CountRowsAsync(deployment);
        var samples = parents.Select(_ => new LatencySample()).ToArray();
        (string Id, long At) lastBigFork = default;
        Figures.Progress($"fork: {settings.Forks} timed forks of each parent, interleaved");
        for (var k = 0; k < settings.Forks; k++)
        {
            for (var j = 0; j < parents.Length; j++)
            {
                var p = (j + k) % parents.Length;

                // Points spread over the parent: the k-th of settings.Forks equal steps, never the very start.
                var at = 1 + (long)((sizes[p] - 1) * ((k + 0.5) / settings.Forks));
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var id = await ForkAsync(app, parents[p], at);
                samples[p].Add(System.Diagnostics.Stopwatch.GetElapsedTime(started));
                if (p == 0)
                {
                    lastBigFork = (id, at);
                }
            }
        }

        var rowsPerFork = (await CountRowsAsync(deployment) - rowsBefore) / (double)(settings.Forks * parents.Length);

        // The last fork of the big parent shows its parent's messages up to the fork point and no further.
        var newest = ApiCalls.Sequences(await ApiCalls.GetAsync(app.Client, $"api/v1/threads/{lastBigFork.Id}/messages?order=desc&limit=1"));
        var oldest = ApiCalls.Sequences(await ApiCalls.GetAsync(app.Client, $"api/v1/threads/{lastBigFork.Id}/messages?limit=1"));
        if (newest is not [var n] || n != lastBigFork.At || oldest is not [1])
        {
            throw new InvalidOperationException($"fork {lastBigFork.Id} at {lastBigFork.At} lists {string.Join(',', newest)} as its newest and {string.Join(',', oldest)} as its oldest message");
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"fork = POST /api/v1/threads/{{id}}/fork {{\"atSequence\": n}} through the published server, 201 (read the parent, one transaction adding the fork's thread and list rows); "
            + $"no Idempotency-Key. {Warmup} untimed forks of each parent, then {settings.Forks} timed forks of each at points spread evenly over it, "
            + $"big and small parent alternating (which goes first flips every round). Checked: a fork of the big parent lists message 1 to its fork point.\n"
            + $"rows added per fork = rows in the user's partition after the timed forks minus before, per fork: the same for both parents, whatever their length"));
        Figures.Write($"fork {big:N0}-message thread: p50 ms", samples[0].Percentile(0.5), "0.00");
        Figures.Write($"fork {big:N0}-message thread: max ms", samples[0].Max, "0.00");
        Figures.Write($"fork {SmallMessages}-message thread: p50 ms", samples[1].Percentile(0.5), "0.00");
        Figures.Write($"fork {SmallMessages}-message thread: max ms", samples[1].Max, "0.00");
        Figures.Write($"fork: ratio {big:N0}/{SmallMessages} p50", samples[0].Percentile(0.5) / samples[1].Percentile(0.5));
        Figures.Write("fork: table rows added per fork", rowsPerFork, "0.0");
    }

    private static async Task<string> ForkAsync(RunningApp app, string parent, long atSequence)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new { atSequence });
        var answer = await ApiCalls.SendAsync(app.Client, HttpMethod.Post, $"api/v1/threads/{parent}/fork", body, HttpStatusCode.Created);
        using var document = JsonDocument.Parse(answer);
        return document.RootElement.GetProperty("id").GetString()!;
    }

    private static async Task<int> CountRowsAsync(ConversationsDeployment deployment) =>
        (await deployment.Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {deployment.User.Key}"), ["RowKey"])).Count;

    internal sealed record Settings(int ParentMessages, int Forks)
    {
        public static Settings From(BenchOptions options) => new(
            options.GetInt("fork-messages", 10_000, 1_000, 1_000_000),
            options.GetInt("forks", 50, 3, 1_000));
    }
}
