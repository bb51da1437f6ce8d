using System.Diagnostics;
using System.Globalization;
using Serverless.Bench.App;
using Serverless.Testing;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>bench/run conversations</c>: the parts below, in order, against one Azurite the suite starts.
/// <c>roundtrips</c> counts storage requests per operation on the pipeline (machine-independent);
/// the other parts run the published server as a separate process (as the app suite does) and time
/// it over HTTP, each on its own tables and containers, deleted when the part ends.
/// Options: <c>--only &lt;part&gt;</c>, <c>--republish 0|1</c>, plus what the parts read.
/// A failing part does not stop the next one; the exit code is the first non-zero one.
/// </summary>
internal static class ConversationsSuite
{
    private static readonly string[] SuiteOptions = ["only", "republish"];

    public static async Task<int> RunAsync(string[] args)
    {
        ConversationsContext? context = null;
        BenchPart[] parts =
        [
            new("roundtrips", "storage round trips per operation, counted on our client's pipeline",
                [], _ => RoundTripsPart.RunAsync(context!.Azurite)),
            new("latency", "p50/p95 of append 1 message and list a page of 20 through the API vs the same MessageStore calls, interleaved",
                LatencyPart.Options, o => LatencyPart.RunAsync(context!, o)),
            new("scale", "list-page time (asc, desc, middle by cursor) on a 100,000-message thread vs a 100-message thread",
                ScalePart.Options, o => ScalePart.RunAsync(context!, o)),
            new("fork", "fork time through the API of a 10,000-message thread vs a 100-message thread",
                ForkPart.Options, o => ForkPart.RunAsync(context!, o)),
            new("transcript", "the app's working-set growth while it streams a >= 100 MB transcript, identity and br",
                TranscriptPart.Options, o => TranscriptPart.RunAsync(context!, o)),
            new("compression", "transcript bytes on the wire (br, gzip) against one-shot compression of the same NDJSON and the brotli/gzip command-line tools",
                CompressionPart.Options, o => CompressionPart.RunAsync(context!, o)),
        ];

        if (args is ["-h" or "--help"])
        {
            Console.Out.WriteLine(Usage(parts));
            return 0;
        }

        var options = BenchOptions.Parse(args);
        var known = parts.SelectMany(p => p.Options).Concat(SuiteOptions).ToHashSet(StringComparer.Ordinal);
        var unknown = options.Names.Where(n => !known.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new BenchUsageException($"unknown option(s) {string.Join(", ", unknown.Select(n => "--" + n))}\n{Usage(parts)}");
        }

        var only = options.GetString("only");
        if (only is not null && !parts.Any(p => p.Name == only))
        {
            throw new BenchUsageException($"--only: no part named '{only}'\n{Usage(parts)}");
        }

        var republish = options.GetInt("republish", 0, 0, 1) == 1;
        var selected = parts.Where(p => only is null || p.Name == only).ToList();

        // Read every numeric option before anything slow starts, so a bad value fails at once.
        foreach (var part in selected)
        {
            switch (part.Name)
            {
                case "latency": _ = LatencyPart.Settings.From(options); break;
                case "scale": _ = ScalePart.Settings.From(options); break;
                case "fork": _ = ForkPart.Settings.From(options); break;
                case "transcript": _ = TranscriptPart.Settings.From(options); break;
                case "compression": _ = CompressionPart.Settings.From(options); break;
            }
        }

        var started = Stopwatch.GetTimestamp();
        Figures.Comment(MachineInfo.Describe());
        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        PublishedApp? server = null;
        if (selected.Any(p => p.Name != "roundtrips"))
        {
            try
            {
                server = await AppPublisher.ServerAsync(republish);
            }
            catch (InvalidOperationException e)
            {
                Figures.WriteText("conversations", $"failed ({e.Message})");
                return 1;
            }

            Figures.Comment(server.PublishTime is { } time
                ? string.Create(CultureInfo.InvariantCulture, $"server published in {time.TotalSeconds:0} s to {server.Directory}")
                : $"server: cached publish output reused ({server.Directory}; --republish 1 forces a publish)");
        }

        Figures.Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        context = new ConversationsContext(azurite, server);

        var exitCode = 0;
        foreach (var part in selected)
        {
            var partStarted = Stopwatch.GetTimestamp();
            Figures.Comment($"conversations part: {part.Name} ({part.Description})");
            var code = await part.RunAsync(options);
            Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"part {part.Name} took {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0} s"));
            if (exitCode == 0)
            {
                exitCode = code;
            }
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"conversations suite took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return exitCode;
    }

    private static string Usage(IEnumerable<BenchPart> parts) =>
        "usage: bench/run conversations [--only <part>] [--republish 0|1 (0)] [part options]\n"
        + "  starts its own Azurite; every part but roundtrips runs the published server (scripts/publish output under artifacts/bench/app/server, rebuilt when src/ is newer)\n"
        + string.Join('\n', parts.Select(p => $"  {p.Name}: {p.Description}" + (Help(p.Name) is { } help ? $"\n    options: {help}" : string.Empty)));

    private static string? Help(string part) => part switch
    {
        "latency" => LatencyPart.Help,
        "scale" => ScalePart.Help,
        "fork" => ForkPart.Help,
        "transcript" => TranscriptPart.Help,
        "compression" => CompressionPart.Help,
        _ => null,
    };
}

/// <summary>What the parts share: one Azurite, and the published server (null when only round trips run).</summary>
internal sealed record ConversationsContext(Azurite Azurite, PublishedApp? Server)
{
    public PublishedApp PublishedServer => Server ?? throw new InvalidOperationException("the server was not published for this run");
}
