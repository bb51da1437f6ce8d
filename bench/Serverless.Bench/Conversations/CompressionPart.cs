using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Serverless.Bench.Codecs;
using Serverless.Functions.Api;
using Serverless.Functions.Conversations;
using Serverless.Storage.Conversations;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>--only compression</c>: how many bytes a transcript costs on the wire as the published server sends it
/// (GET /api/v1/threads/{id}/transcript with Accept-Encoding br, gzip), against the same NDJSON compressed in one go:
/// in process at the server's levels (Brotli <see cref="ContentCoding.BrotliQuality"/>, zlib
/// CompressionLevel.Fastest) and by the <c>brotli</c> and <c>gzip</c> command-line tools. Three transcripts of about <c>--compression-kb</c>: real text from the machine (the codec corpus), made-up
/// chat prose, and repetitive tool chatter (the shape of the transcript in the issue that found per-message flushing).
/// Every encoding is decoded and checked against the identity transcript, byte for byte.
/// </summary>
internal static class CompressionPart
{
    public static readonly string[] Options = ["compression-kb"];

    public const string Help = "--compression-kb N (400) least NDJSON size of each transcript in KB (10^3 bytes)";

    /// <summary>The command-line references: the server's levels, Brotli's fastest (the issue's reference) and each tool's best.</summary>
    private static readonly (string Label, string Tool, string Args)[] Tools =
    [
        ($"cli brotli -q {ContentCoding.BrotliQuality}", "brotli", $"-q {ContentCoding.BrotliQuality} -c"),
        ("cli brotli -q 1", "brotli", "-q 1 -c"),
        ("cli brotli -q 11", "brotli", "-q 11 -c"),
        ("cli gzip -1", "gzip", "-1 -c"),
        ("cli gzip -9", "gzip", "-9 -c"),
    ];

    public static Task<int> RunAsync(ConversationsContext context, BenchOptions options)
    {
        var settings = Settings.From(options);
        return ConversationsDeployment.RunWithAppAsync(context, (deployment, app) => MeasureAsync(deployment, app, settings));
    }

    private static async Task MeasureAsync(ConversationsDeployment deployment, RunningApp app, Settings settings)
    {
        var target = settings.Kilobytes * 1_000L;
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"wire bytes = the transcript's response body as sent (Content-Encoding br or gzip; the server compresses at Brotli quality {ContentCoding.BrotliQuality} and zlib level 1 "
            + $"(CompressionLevel.Fastest), and sends the NDJSON in flushed units of {TranscriptEndpoint.FlushBytes / 1024} KiB); one-shot = the identity transcript compressed in one write in this process at the same level; "
            + $"cli = the tool on the identity transcript as a file. Ratios below 1 mean the server sends less. Messages: inline, 97 per append, roles alternating."));
        foreach (var kind in Kinds())
        {
            var messages = kind.Make(target);
            if (messages.Count == 0)
            {
                Figures.Comment($"compression {kind.Name}: skipped ({kind.Missing})");
                continue;
            }

            await deployment.CreateThreadAsync(kind.Name);
            await deployment.FillAsync(kind.Name, messages.Count, ConversationLimits.MaxAppendRowsWithUsage,
                i => new NewMessage(null, i % 2 == 0 ? "user" : "assistant", messages[i], null, "bench-model", 100, 200, 0.001, null), $"compression fill {kind.Name}");
            await MeasureOneAsync(app, kind.Name, messages.Count);
        }
    }

    private static async Task MeasureOneAsync(RunningApp app, string threadId, int messages)
    {
        using var client = app.StreamingClient();
        var identity = await ReadAsync(client, threadId, null);
        var br = await ReadAsync(client, threadId, "br");
        var gzip = await ReadAsync(client, threadId, "gzip");
        if (!br.Ndjson.AsSpan().SequenceEqual(identity.Ndjson) || !gzip.Ndjson.AsSpan().SequenceEqual(identity.Ndjson))
        {
            throw new InvalidOperationException($"compression {threadId}: a decoded transcript differs from the identity transcript");
        }

        var ndjson = identity.Ndjson;
        if (ndjson.AsSpan().Count((byte)'\n') != messages)
        {
            throw new InvalidOperationException($"compression {threadId}: the transcript does not hold {messages} lines");
        }

        var oneShotBr = OneShot(ndjson, output => new BrotliStream(output, new BrotliCompressionOptions { Quality = ContentCoding.BrotliQuality }, leaveOpen: true));
        var oneShotGzip = OneShot(ndjson, output => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true));
        var prefix = $"compression {threadId}";
        Figures.Write($"{prefix}: messages", messages);
        Figures.Write($"{prefix}: ndjson bytes", ndjson.Length);
        Figures.Write($"{prefix}: server br wire bytes", br.Wire);
        Figures.Write($"{prefix}: server gzip wire bytes", gzip.Wire);
        Figures.Write($"{prefix}: one-shot br q{ContentCoding.BrotliQuality} bytes", oneShotBr);
        Figures.Write($"{prefix}: one-shot gzip Fastest bytes", oneShotGzip);
        Figures.Write($"{prefix}: ratio server br / one-shot br", br.Wire / (double)oneShotBr, "0.000");
        Figures.Write($"{prefix}: ratio server gzip / one-shot gzip", gzip.Wire / (double)oneShotGzip, "0.000");
        Figures.Write($"{prefix}: ratio server br / server gzip", br.Wire / (double)gzip.Wire, "0.000");

        var file = Path.Combine(Path.GetTempPath(), $"serverless-bench-transcript-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllBytesAsync(file, ndjson);
        try
        {
            foreach (var (label, tool, args) in Tools)
            {
                if (CommandLineCodecs.FindOnPath(tool) is not { } path)
                {
                    Figures.Comment($"{prefix}: {label} skipped ({tool} is not installed: Debian package {tool})");
                    continue;
                }

                var stored = file + ".out";
                try
                {
                    CommandLineCodecs.RunFileToFile(path, args, file, stored);
                    var bytes = new FileInfo(stored).Length;
                    Figures.Write($"{prefix}: {label} bytes", bytes);
                    var server = tool == "brotli" ? br.Wire : gzip.Wire;
                    Figures.Write($"{prefix}: ratio server {(tool == "brotli" ? "br" : "gzip")} / {label}", server / (double)bytes, "0.000");
                }
                finally
                {
                    File.Delete(stored);
                }
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static async Task<(byte[] Ndjson, long Wire)> ReadAsync(HttpClient client, string threadId, string? encoding)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/threads/{threadId}/transcript");
        if (encoding is not null)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue(encoding));
        }

        using var response = await client.SendAsync(request);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"transcript of {threadId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var sent = string.Join(',', response.Content.Headers.ContentEncoding);
        if (sent != (encoding ?? string.Empty))
        {
            throw new InvalidOperationException($"transcript of {threadId} came with Content-Encoding '{sent}', asked for '{encoding}'");
        }

        var wire = await response.Content.ReadAsByteArrayAsync();
        await using Stream decoder = encoding switch
        {
            "br" => new BrotliStream(new MemoryStream(wire), CompressionMode.Decompress),
            "gzip" => new GZipStream(new MemoryStream(wire), CompressionMode.Decompress),
            _ => new MemoryStream(wire),
        };
        using var ndjson = new MemoryStream();
        await decoder.CopyToAsync(ndjson);
        return (ndjson.ToArray(), wire.Length);
    }

    private static long OneShot(byte[] data, Func<Stream, Stream> compressor)
    {
        using var output = new MemoryStream();
        using (var stream = compressor(output))
        {
            stream.Write(data);
        }

        return output.Length;
    }

    /// <summary>The transcripts: a thread id, and message contents adding up to at least a target size.</summary>
    private static IEnumerable<TranscriptKind> Kinds() =>
    [
        new("corpus", "no corpus text found on this machine: see Codecs/CorpusSources.cs", CorpusContents),
        new("chat-text", string.Empty, target => Fill(target, i => ChatText.Make(i, 200 + (i * 389 % 1800)))),
        new("tool-chatter", string.Empty, target => Fill(target, ToolChatter)),
    ];

    /// <summary>Real text from the machine, cut by the codec corpus builder (seed 42).</summary>
    private static List<string> CorpusContents(long target)
    {
        // The content is about 90 % of a corpus line; ask for a little more so the transcript reaches the target.
        var corpus = new CorpusBuilder(42, target + (target / 4)).Build(CorpusSources.FindAll());
        return Fill(target, i => i < corpus.Lines.Count ? JsonDocument.Parse(corpus.Line(i)).RootElement.GetProperty("content").GetString() : null);
    }

    /// <summary>Short, near-identical lines of an agent's tool loop: compresses tens of times.</summary>
    private static string ToolChatter(int i) => (i % 4) switch
    {
        0 => $"Run the tests in project {i % 7} and tell me which ones fail.",
        1 => $"Calling tool run_tests with {{\"project\": \"src/Project{i % 7}\", \"filter\": \"Category=Unit\"}}.",
        2 => $"Tool run_tests returned: {120 + (i % 13)} passed, {i % 3} failed, 0 skipped in {1 + (i % 5)}.{i % 10} s.",
        _ => $"{i % 3} tests failed in project {i % 7}; the failures are in Parser{i % 11}Tests. Shall I look at them?",
    };

    /// <summary>
    /// Contents from <paramref name="make"/> (null = no more) until their NDJSON lines reach <paramref name="target"/>
    /// bytes (a line is the content plus about 300 bytes of other fields), or none when <paramref name="make"/> has none.
    /// </summary>
    private static List<string> Fill(long target, Func<int, string?> make)
    {
        var contents = new List<string>();
        for (long bytes = 0; bytes < target && make(contents.Count) is { } content; bytes += content.Length + 300)
        {
            contents.Add(content);
        }

        return contents;
    }

    private sealed record TranscriptKind(string Name, string Missing, Func<long, List<string>> Make);

    internal sealed record Settings(int Kilobytes)
    {
        public static Settings From(BenchOptions options) => new(options.GetInt("compression-kb", 400, 10, 100_000));
    }
}
