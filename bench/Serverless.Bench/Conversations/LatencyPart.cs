using System.Globalization;
using System.Net;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Storage.Conversations;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>--only latency</c>: "append one message" and "list a page of 20" through the published server
/// (HTTP, JWT check, rate limiter, routing, validation, MessageStore, JSON) against the same
/// MessageStore calls made from the bench process with our storage client, on the same Azurite,
/// table and user partition. Every sample of one side is followed by one of the other, the order
/// flipping each time, so a slow spell of the machine hits both alike.
/// </summary>
internal static class LatencyPart
{
    public static readonly string[] Options = ["samples", "warmup"];

    public const string Help = "--samples N (500) timed operations of each of the 4 kinds; --warmup N (100) untimed ones first";

    private const int ListThreadMessages = 100;
    private const int PageSize = 20;

    public static Task<int> RunAsync(ConversationsContext context, BenchOptions options)
    {
        var settings = Settings.From(options);
        return ConversationsDeployment.RunWithAppAsync(context, (deployment, app) => MeasureAsync(deployment, app, settings));
    }

    private static async Task MeasureAsync(ConversationsDeployment deployment, RunningApp app, Settings settings)
    {
        const string apiThread = "api-append";
        const string rawThread = "raw-append";
        const string listThread = "list";
        await deployment.CreateThreadAsync(apiThread);
        await deployment.CreateThreadAsync(rawThread);
        await deployment.CreateThreadAsync(listThread);
        await deployment.FillAsync(listThread, ListThreadMessages, ConversationLimits.MaxAppendRowsWithUsage, i => Message(i, ChatText.Make(i, 300)));

        // The same message both ways: ~300 chars of text and usage figures, no client id.
        var content = ChatText.Make(1, 300);
        var body = JsonSerializer.SerializeToUtf8Bytes(new { role = "user", content, promptTokens = 10, completionTokens = 20, cost = 0.001 });
        var message = Message(0, content);
        var user = deployment.User;
        var client = app.Client;
        var appendPath = $"api/v1/threads/{apiThread}/messages";
        var listPath = $"api/v1/threads/{listThread}/messages?limit={PageSize}";

        // Both sides list the same page and must see the same 20 messages.
        var apiPage = ApiCalls.Sequences(await ApiCalls.GetAsync(client, listPath));
        var rawPage = await RawListAsync();
        if (apiPage.Count != PageSize || !apiPage.SequenceEqual(rawPage.Items.Select(m => m.Sequence)))
        {
            throw new InvalidOperationException($"the API page ({apiPage.Count} items) and the MessageStore page ({rawPage.Items.Count}) differ");
        }

        var apiAppend = new LatencySample();
        var rawAppend = new LatencySample();
        var apiList = new LatencySample();
        var rawList = new LatencySample();
        var total = settings.Warmup + settings.Samples;
        Figures.Progress($"latency: {settings.Warmup} warm-up and {settings.Samples} timed operations of each of 4 kinds, interleaved");
        for (var i = 0; i < total; i++)
        {
            var timed = i >= settings.Warmup;
            var apiFirst = i % 2 == 0;
            await Pair(
                apiAppend, () => ApiCalls.SendAsync(client, HttpMethod.Post, appendPath, body, HttpStatusCode.Created),
                rawAppend, () => deployment.Messages.AppendAsync(user, rawThread, [message], default));
            await Pair(
                apiList, () => ApiCalls.GetAsync(client, listPath),
                rawList, RawListAsync);

            async Task Pair(LatencySample apiSample, Func<Task> api, LatencySample rawSample, Func<Task> raw)
            {
                if (apiFirst)
                {
                    Add(apiSample, await ApiCalls.TimeAsync(api));
                    Add(rawSample, await ApiCalls.TimeAsync(raw));
                }
                else
                {
                    Add(rawSample, await ApiCalls.TimeAsync(raw));
                    Add(apiSample, await ApiCalls.TimeAsync(api));
                }
            }

            void Add(LatencySample sample, TimeSpan elapsed)
            {
                if (timed)
                {
                    sample.Add(elapsed);
                }
            }
        }

        var apiCount = (await deployment.Threads.GetAsync(user, apiThread, default))!.MessageCount;
        var rawCount = (await deployment.Threads.GetAsync(user, rawThread, default))!.MessageCount;
        if (apiCount != total || rawCount != total)
        {
            throw new InvalidOperationException($"expected {total} appended messages on each side, found {apiCount} (API) and {rawCount} (MessageStore)");
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"API = HttpClient (keep-alive, one request in flight) -> published server process (Production, HS256 JWT, rate limiter, routing, validation, MessageStore, JSON) -> Azurite; "
            + $"MessageStore = the same store calls from the bench process with our storage client on the same table and partition.\n"
            + $"append 1 message = one ~300-char user message with usage figures (POST .../messages, 201 | MessageStore.AppendAsync: read thread + one transaction), each side on its own thread.\n"
            + $"list page of {PageSize} = the first {PageSize} of a {ListThreadMessages}-message thread, asc (GET .../messages?limit={PageSize} | ThreadStore.GetAsync + MessageStore.ListAsync, as the endpoint does).\n"
            + $"{settings.Warmup} untimed of each kind, then {settings.Samples} timed of each, API and MessageStore alternating one by one (which goes first flips every time); "
            + $"server, Azurite and the bench share the machine's cores. Each side's checked: same page, {total} messages appended per side"));
        Write("append 1 message", apiAppend, rawAppend);
        Write($"list page of {PageSize}", apiList, rawList);

        async Task<(IReadOnlyList<MessageRecord> Items, long? Next)> RawListAsync()
        {
            var thread = await deployment.Threads.GetAsync(user, listThread, default) ?? throw new InvalidOperationException("the list thread is missing");
            return await deployment.Messages.ListAsync(user, thread, false, PageSize, null, default);
        }
    }

    private static NewMessage Message(int i, string content) => new(null, "user", content, null, null, 10, 20, 0.001, null);

    private static void Write(string name, LatencySample api, LatencySample raw)
    {
        Figures.Write($"{name}: samples per side", api.Count);
        Figures.Write($"{name}: API p50 ms", api.Percentile(0.5), "0.000");
        Figures.Write($"{name}: API p95 ms", api.Percentile(0.95), "0.000");
        Figures.Write($"{name}: MessageStore p50 ms", raw.Percentile(0.5), "0.000");
        Figures.Write($"{name}: MessageStore p95 ms", raw.Percentile(0.95), "0.000");
        Figures.Write($"{name}: ratio API/MessageStore p50", api.Percentile(0.5) / raw.Percentile(0.5));
        Figures.Write($"{name}: ratio API/MessageStore p95", api.Percentile(0.95) / raw.Percentile(0.95));
    }

    internal sealed record Settings(int Samples, int Warmup)
    {
        public static Settings From(BenchOptions options) => new(
            options.GetInt("samples", 500, 20, 100_000),
            options.GetInt("warmup", 100, 0, 100_000));
    }
}
