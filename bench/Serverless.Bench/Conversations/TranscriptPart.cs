using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Functions.Api;
using Serverless.Functions.Conversations;
using Serverless.Storage.Conversations;

namespace Serverless.Bench.Conversations;

/// <summary>
/// <c>--only transcript</c>: how much the published server's working set grows while it streams a
/// transcript of at least 100 MB (GET /api/v1/threads/{id}/transcript, read to the end and counted
/// by the bench), identity and br, for a thread of inline messages and one of offloaded (blob)
/// messages. Each stream runs in a fresh server process, warmed up by streaming a short fork of the
/// same thread with the same encoding, so one stream's retained heap is not another's baseline.
/// </summary>
internal static class TranscriptPart
{
    public static readonly string[] Options = ["transcript-mb", "sample-ms"];

    public const string Help = "--transcript-mb N (100) least NDJSON size of each thread in MB (10^6 bytes); --sample-ms N (20) working-set sampling interval";

    /// <summary>Inline content: just under <see cref="ConversationLimits.InlineMaxChars"/>.</summary>
    private const int InlineChars = 16_000;

    /// <summary>
    /// Inline messages per append: their worst-case escaped size (6 bytes per char) must fit the
    /// append's byte budget, or MessageStore offloads the largest to blobs (checked after the fill).
    /// </summary>
    private const int InlinePerAppend = 36;

    /// <summary>Offloaded content: a long answer or pasted document, stored as a compressed blob.</summary>
    private const int OffloadedChars = 200_000;

    private const int OffloadedPerAppend = 8;

    private static readonly Dictionary<string, string> WorkstationGc = new() { ["DOTNET_gcServer"] = "0" };

    public static Task<int> RunAsync(ConversationsContext context, BenchOptions options)
    {
        var settings = Settings.From(options);
        return ConversationsDeployment.RunAsync(context, deployment => MeasureAsync(context, deployment, settings));
    }

    private static async Task MeasureAsync(ConversationsContext context, ConversationsDeployment deployment, Settings settings)
    {
        var target = settings.TranscriptMegabytes * 1_000_000L;
        ThreadSpec[] specs =
        [
            new("inline", InlineChars, InlinePerAppend, (int)((target + InlineChars - 1) / InlineChars)),
            new("offloaded", OffloadedChars, OffloadedPerAppend, (int)((target + OffloadedChars - 1) / OffloadedChars)),
        ];

        foreach (var spec in specs)
        {
            await deployment.CreateThreadAsync(spec.Id);
            deployment.RoundTrips.Reset();
            Figures.Progress($"transcript: filling '{spec.Id}' with {spec.Messages:N0} messages of {spec.Chars:N0} chars");
            var (thread, fill) = await deployment.FillAsync(spec.Id, spec.Messages, spec.PerAppend,
                i => new NewMessage(null, i % 2 == 0 ? "user" : "assistant", ChatText.Make(i, spec.Chars), null, "bench-model", 100, 200, 0.001, null), $"transcript fill {spec.Id}");
            var appends = (spec.Messages + spec.PerAppend - 1) / spec.PerAppend;

            // Each append is 2 round trips (read thread, transaction) plus one per blob upload.
            var blobs = deployment.RoundTrips.Reset() - (2L * appends);
            Figures.Write($"transcript {spec.Id}: messages", spec.Messages);
            Figures.Write($"transcript {spec.Id}: content chars per message", spec.Chars);
            Figures.Write($"transcript {spec.Id}: blobs written by the fill", blobs);
            Figures.Write($"transcript {spec.Id}: fill seconds", fill.TotalSeconds, "0.0");

            // Forks copy nothing, so these read the thread's own rows and blobs: the warm-up thread (its
            // first messages) and the first half.
            foreach (var (forkId, at) in new[] { (spec.WarmupId, spec.WarmupMessages), (spec.HalfId, spec.Messages / 2) })
            {
                var lineage = thread.Lineage.ForkAt(thread.Id, at);
                await deployment.Threads.CreateAsync(deployment.User, ThreadRecord.New(forkId, null, null, false, false, DateTimeOffset.UtcNow, lineage), null, default);
            }
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"each stream: fresh server process (Production, {GcMode(context.PublishedServer)} unless the label says workstation GC = DOTNET_gcServer=0); warm-up = the transcript of a fork of the first 5 messages of the same thread, same encoding, read to the end; "
            + $"then after 0.5 s baseline = VmRSS, VmHWM reset (clear_refs 5), the transcript read to the end by the bench while VmRSS is read every {settings.SampleMilliseconds} ms; "
            + $"peak = max(VmHWM, largest VmRSS read); growth = peak - baseline. MB = 10^6 bytes. ndjson bytes = the transcript as the client sees it after decompression; "
            + $"wire bytes = as sent. br = Accept-Encoding: br (the server compresses with BrotliStream at quality {ContentCoding.BrotliQuality}). The server lists 100 messages per storage page.\n"
            + $"first half (fork) = the transcript of a fork at the midpoint, which reads the first half of the same rows: does growth follow the transcript's length? "
            + $"workstation GC = the same full stream with DOTNET_gcServer=0: how much of the growth is memory Server GC chooses to keep rather than memory the server holds."));

        foreach (var spec in specs)
        {
            // The same rows read four ways: the transcript identity and br; its first half (a fork at the
            // midpoint, read through the same rows), to see whether growth follows the transcript's length;
            // and identity with workstation GC, to tell memory the server holds from memory Server GC keeps.
            Variant[] variants =
            [
                new($"transcript {spec.Id} identity", spec.Id, spec.Messages, false, null),
                new($"transcript {spec.Id} br", spec.Id, spec.Messages, true, null),
                new($"transcript {spec.Id} identity, first half (fork)", spec.HalfId, spec.Messages / 2, false, null),
                new($"transcript {spec.Id} identity, workstation GC", spec.Id, spec.Messages, false, WorkstationGc),
            ];
            foreach (var variant in variants)
            {
                var label = variant.Label;
                Figures.Progress($"{label}: streaming");
                var result = await StreamOnceAsync(deployment, spec, variant, settings);
                if (result.Lines != variant.Lines)
                {
                    throw new InvalidOperationException($"{label}: read {result.Lines} lines, expected {variant.Lines}");
                }

                var growth = result.Peak - result.Baseline;
                Figures.Write($"{label}: ndjson bytes", result.NdjsonBytes);
                Figures.Write($"{label}: wire bytes", result.WireBytes);
                Figures.Write($"{label}: seconds", result.Elapsed.TotalSeconds, "0.00");
                Figures.Write($"{label}: ndjson MB/s", result.NdjsonBytes / 1e6 / result.Elapsed.TotalSeconds, "0.0");
                Figures.Write($"{label}: baseline MB", result.Baseline / 1e6, "0.0");
                Figures.Write($"{label}: peak MB", result.Peak / 1e6, "0.0");
                Figures.Write($"{label}: growth MB", growth / 1e6, "0.0");
                Figures.Write($"{label}: ratio growth/ndjson bytes", growth / (double)result.NdjsonBytes, "0.000");
                if (!result.PeakReset)
                {
                    Figures.Comment($"{label}: VmHWM could not be reset, so the peak is the largest VmRSS sampled ({result.Samples} readings)");
                }
            }
        }
    }

    private static async Task<StreamResult> StreamOnceAsync(ConversationsDeployment deployment, ThreadSpec spec, Variant variant, Settings settings)
    {
        await using var app = await deployment.StartAppAsync(variant.Environment);
        using var client = app.StreamingClient();
        var pid = app.Process.ProcessId;
        var warm = await ReadTranscriptAsync(client, spec.WarmupId, variant.Brotli);
        if (warm.Lines != spec.WarmupMessages)
        {
            throw new InvalidOperationException($"the warm-up transcript held {warm.Lines} lines, expected {spec.WarmupMessages}");
        }

        await Task.Delay(500);
        var baseline = ProcessMemory.Read(pid, "VmRSS") ?? throw new InvalidOperationException($"cannot read /proc/{pid}/status");
        var reset = ProcessMemory.TryResetPeak(pid);
        StreamResult result;
        RssSampler sampler;
        await using (sampler = new RssSampler(pid, TimeSpan.FromMilliseconds(settings.SampleMilliseconds)))
        {
            result = await ReadTranscriptAsync(client, variant.ThreadId, variant.Brotli);
        }

        var hwm = reset ? ProcessMemory.Read(pid, "VmHWM") ?? 0 : 0;
        return result with { Baseline = baseline, Peak = Math.Max(hwm, sampler.Max), PeakReset = reset, Samples = sampler.Samples };
    }

    private static async Task<StreamResult> ReadTranscriptAsync(HttpClient client, string threadId, bool brotli)
    {
        var started = Stopwatch.GetTimestamp();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/threads/{threadId}/transcript");
        if (brotli)
        {
            request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("br"));
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"transcript of {threadId} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var encoding = string.Join(',', response.Content.Headers.ContentEncoding);
        if (encoding != (brotli ? "br" : string.Empty))
        {
            throw new InvalidOperationException($"transcript of {threadId} came with Content-Encoding '{encoding}'");
        }

        await using var wire = new CountingStream(await response.Content.ReadAsStreamAsync());
        await using var ndjson = brotli ? new BrotliStream(wire, CompressionMode.Decompress) : (Stream)wire;
        var buffer = new byte[1 << 16];
        long bytes = 0, lines = 0;
        int n;
        while ((n = await ndjson.ReadAsync(buffer)) > 0)
        {
            bytes += n;
            lines += buffer.AsSpan(0, n).Count((byte)'\n');
        }

        return new StreamResult(bytes, wire.Count, lines, Stopwatch.GetElapsedTime(started), 0, 0, false, 0);
    }

    /// <summary>The server's GC mode as its runtimeconfig.json sets it (the Web SDK default is Server GC).</summary>
    private static string GcMode(PublishedApp server)
    {
        var config = Directory.EnumerateFiles(server.Directory, "*.runtimeconfig.json").FirstOrDefault();
        if (config is null)
        {
            return "GC mode unknown";
        }

        using var document = JsonDocument.Parse(File.ReadAllText(config));
        var properties = document.RootElement.GetProperty("runtimeOptions").TryGetProperty("configProperties", out var p) ? p : default;
        bool? Flag(string name) => properties.ValueKind == JsonValueKind.Object && properties.TryGetProperty(name, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
        var mode = Flag("System.GC.Server") == true ? "Server GC" : "workstation GC";
        var concurrent = Flag("System.GC.Concurrent") == false ? ", non-concurrent" : string.Empty;
        return mode + concurrent + $", {Environment.ProcessorCount} cores";
    }

    private sealed record ThreadSpec(string Id, int Chars, int PerAppend, int Messages)
    {
        public string WarmupId => Id + "-warm";

        public string HalfId => Id + "-half";

        /// <summary>Fewer than one storage page (100): enough to run every code path, not enough to pre-grow the heap by a page.</summary>
        public int WarmupMessages => Math.Min(Messages, 5);
    }

    /// <summary>One stream: what to read, how, and any environment the server gets for it.</summary>
    private sealed record Variant(string Label, string ThreadId, long Lines, bool Brotli, IReadOnlyDictionary<string, string>? Environment);

    private sealed record StreamResult(long NdjsonBytes, long WireBytes, long Lines, TimeSpan Elapsed, long Baseline, long Peak, bool PeakReset, int Samples);

    internal sealed record Settings(int TranscriptMegabytes, int SampleMilliseconds)
    {
        public static Settings From(BenchOptions options) => new(
            options.GetInt("transcript-mb", 100, 1, 2_000),
            options.GetInt("sample-ms", 20, 5, 1_000));
    }
}
