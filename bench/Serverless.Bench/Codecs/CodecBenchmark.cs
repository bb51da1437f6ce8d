using System.Diagnostics;
using System.Globalization;

namespace Serverless.Bench.Codecs;

/// <summary>
/// The codec part of <c>bench/run storage</c>: builds the corpus, measures every product codec on
/// the "transcript" shape (the whole corpus as one stream) and the "message" shape (1-4 KiB
/// messages one by one), then the command-line tools, then prints the recommendation.
/// </summary>
internal static class CodecBenchmark
{
    private const int MiB = 1024 * 1024;
    private const int MinMessageBytes = 1024;
    private const int MaxMessageBytes = 4096;

    public static IReadOnlyList<string> Options { get; } = ["corpus-mb", "message-mb", "slow-prefix-mb", "seed"];

    // Enough repetitions for a stable median on fast codecs; slow ones stop after the minimum.
    private static readonly RepetitionPolicy InProcess = new(MinReps: 3, MaxReps: 7, Budget: TimeSpan.FromSeconds(2));

    // A process run costs a file write and read each way; brotli -q 11 runs once.
    private static readonly RepetitionPolicy CommandLine = new(MinReps: 1, MaxReps: 3, Budget: TimeSpan.FromSeconds(5));

    public static Task<int> RunAsync(BenchOptions options)
    {
        var corpusMb = options.GetInt("corpus-mb", 16, 1, 1024);
        var messageMb = options.GetInt("message-mb", 2, 1, 64);
        var slowPrefixMb = options.GetInt("slow-prefix-mb", 2, 1, 1024);
        var seed = options.GetInt("seed", 42, 0, int.MaxValue);
        var started = Stopwatch.GetTimestamp();

        Figures.Progress($"building a {corpusMb} MiB corpus");
        var corpus = new CorpusBuilder(seed, (long)corpusMb * MiB).Build(CorpusSources.FindAll());
        if (corpus.Lines.Count == 0)
        {
            Figures.WriteText("codec", "failed (no corpus text found: see CorpusSources.cs for where it is looked for)");
            return Task.FromResult(1);
        }

        PrintCorpus(corpus, corpusMb, seed);
        var messages = corpus.SmallMessages(MinMessageBytes, MaxMessageBytes, (long)messageMb * MiB);
        var slowPrefix = corpus.Prefix((long)slowPrefixMb * MiB);
        Figures.Write("codec.message.count", messages.Count);
        Figures.Write("codec.message.bytes", messages.Sum(m => (long)m.Length));
        Figures.Comment($"ratio = raw bytes / stored bytes; MB/s = 10^6 raw bytes per second, median of {InProcess.MinReps}-{InProcess.MaxReps} runs after a warm-up");
        Figures.Comment($"transcript = the whole corpus as one stream; message = each {MinMessageBytes}-{MaxMessageBytes} byte message compressed on its own");

        var measured = new List<(string Name, CodecFigures Transcript, CodecFigures Message)>();
        foreach (var candidate in CodecCandidates.All)
        {
            Figures.Progress($"{candidate.Name}");
            PayloadCodecTimer.WarmUp(candidate.Codec, messages[0]);

            var transcriptInput = candidate.TimeBoxed ? slowPrefix : corpus.Transcript;
            if (candidate.TimeBoxed)
            {
                Figures.Comment($"{candidate.Name} is time-boxed: its transcript figures are measured on the first {transcriptInput.Length} bytes of the corpus, not all of it");
            }

            var transcript = PayloadCodecTimer.Transcript($"codec.transcript.{candidate.Name}", candidate.Codec, transcriptInput, InProcess);
            transcript.Print();
            var message = PayloadCodecTimer.Messages($"codec.message.{candidate.Name}", candidate.Codec, messages, InProcess);
            message.Print();
            measured.Add((candidate.Name, transcript, message));
        }

        CommandLineCodecs.MeasureAll(corpus.Transcript, CommandLine);

        Figures.Comment(CodecRecommendation.Rule);
        Figures.WriteText("codec.recommended", CodecRecommendation.Choose(measured) ?? "none (no codec meets the speed floors on this machine)");
        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"codec part took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return Task.FromResult(0);
    }

    private static void PrintCorpus(Corpus corpus, int corpusMb, int seed)
    {
        Figures.Comment($"corpus: chat NDJSON built from text found on this machine (seed {seed}); same files + same seed = same corpus (compare sha256)");
        Figures.Write("codec.corpus.bytes", corpus.Transcript.LongLength);
        Figures.Write("codec.corpus.messages", corpus.Lines.Count);
        Figures.WriteText("codec.corpus.sha256", corpus.Sha256Prefix);
        foreach (var source in corpus.Sources)
        {
            var prefix = $"codec.corpus.source.{source.Name}";
            Figures.Write($"{prefix}.files_found", source.FilesAvailable);
            Figures.Write($"{prefix}.files_used", source.FilesUsed);
            Figures.Write($"{prefix}.files_skipped", source.FilesSkipped);
            Figures.Write($"{prefix}.text_bytes", source.TextBytes);
            Figures.Write($"{prefix}.messages", source.Messages);
        }

        if (corpus.Transcript.LongLength < (long)corpusMb * MiB * 9 / 10)
        {
            Figures.Comment($"the machine holds less text than asked for: the corpus is {corpus.Transcript.LongLength} bytes, not {corpusMb} MiB");
        }
    }
}
