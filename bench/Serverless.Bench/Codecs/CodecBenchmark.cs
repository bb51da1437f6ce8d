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

    public static IReadOnlyList<string> Options { get; } = ["corpus-mb", "message-mb", "slow-prefix-mb", "seed", "corpus-out"];

    // Every codec is timed in each of several rounds, and the fastest run counts: other work on the
    // machine comes in bursts, and spreading the runs out gives each codec a chance at a quiet moment.
    // An operation slower than SlowRunSeconds runs only in the first round, which keeps the whole part
    // near 1.5 minutes on a slow 2-core machine.
    private const int Rounds = 3;
    private const double SlowRunSeconds = 1.0;
    private static readonly RepetitionPolicy RoundPolicy = new(MinReps: 1, MaxReps: 3, Budget: TimeSpan.FromSeconds(0.7));

    private static readonly RepetitionPolicy CommandLine = new(MinReps: 1, MaxReps: 3, Budget: TimeSpan.FromSeconds(3));

    public static Task<int> RunAsync(BenchOptions options)
    {
        var corpusMb = options.GetInt("corpus-mb", 16, 1, 1024);
        var messageMb = options.GetInt("message-mb", 2, 1, 64);
        var slowPrefixMb = options.GetInt("slow-prefix-mb", 2, 1, 1024);
        var seed = options.GetInt("seed", 42, 0, int.MaxValue);
        var corpusOut = options.GetString("corpus-out");
        var started = Stopwatch.GetTimestamp();

        Figures.Comment(MachineInfo.Describe());
        Figures.Progress($"building a {corpusMb} MiB corpus");
        var corpus = new CorpusBuilder(seed, (long)corpusMb * MiB).Build(CorpusSources.FindAll());
        if (corpus.Lines.Count == 0)
        {
            Figures.WriteText("codec", "failed (no corpus text found: see CorpusSources.cs for where it is looked for)");
            return Task.FromResult(1);
        }

        PrintCorpus(corpus, corpusMb, seed);
        if (corpusOut is not null)
        {
            File.WriteAllBytes(corpusOut, corpus.Transcript);
            Figures.Comment($"corpus written to {Path.GetFullPath(corpusOut)}");
        }

        var messages = corpus.SmallMessages(MinMessageBytes, MaxMessageBytes, (long)messageMb * MiB);
        if (messages.Count == 0)
        {
            Figures.WriteText("codec", $"failed (no {MinMessageBytes}-{MaxMessageBytes} byte message in the corpus: try a larger --corpus-mb)");
            return Task.FromResult(1);
        }

        var slowPrefix = corpus.Prefix((long)slowPrefixMb * MiB);
        var measured = MeasureInProcess(corpus, messages, slowPrefix);
        CommandLineCodecs.MeasureAll(corpus.Transcript, slowPrefix.ToArray(), CommandLine);
        PrintCpuShare();
        PrintRecommendation(measured);
        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"codec part took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return Task.FromResult(0);
    }

    private static List<(string Name, CodecFigures Transcript, CodecFigures Message)> MeasureInProcess(
        Corpus corpus, IReadOnlyList<ReadOnlyMemory<byte>> messages, ReadOnlyMemory<byte> slowPrefix)
    {
        Figures.Write("codec.message.count", messages.Count);
        Figures.Write("codec.message.bytes", messages.Sum(m => (long)m.Length));
        Figures.Comment($"ratio = raw bytes / stored bytes; MB/s = 10^6 raw bytes per second of the fastest run, after a warm-up; runs are spread over {Rounds} rounds through all codecs (operations over {SlowRunSeconds:0} s run once)");
        Figures.Comment($"transcript = the whole corpus as one stream; message = each {MinMessageBytes}-{MaxMessageBytes} byte message compressed on its own");

        var timers = CodecCandidates.All.Select(c => (
            Candidate: c,
            Transcript: PayloadCodecTimer.Transcript($"codec.transcript.{c.Name}", c.Codec, c.TimeBoxed ? slowPrefix : corpus.Transcript),
            Message: PayloadCodecTimer.Messages($"codec.message.{c.Name}", c.Codec, messages))).ToList();

        for (var round = 1; round <= Rounds; round++)
        {
            foreach (var (candidate, transcript, message) in timers)
            {
                Figures.Progress($"round {round}/{Rounds}: {candidate.Name}");
                if (round == 1)
                {
                    PayloadCodecTimer.WarmUp(candidate.Codec, messages[0]);
                }

                transcript.TimeRound(RoundPolicy, SlowRunSeconds);
                message.TimeRound(RoundPolicy, SlowRunSeconds);
            }
        }

        foreach (var (candidate, transcript, message) in timers)
        {
            if (candidate.TimeBoxed)
            {
                Figures.Comment($"{candidate.Name} is time-boxed: its transcript figures are measured on the first {slowPrefix.Length} bytes of the corpus, not all of it");
            }

            transcript.Figures.Print();
            message.Figures.Print();
        }

        return timers.Select(t => (t.Candidate.Name, t.Transcript.Figures, t.Message.Figures)).ToList();
    }

    private static void PrintCpuShare()
    {
        if (CpuShare.SoFar is not { } share)
        {
            return;
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"in-process timings: this process was on a CPU {share * 100:0}% of the timed wall time (well under 100% means other processes competed and the speeds above are understated)"));
        if (share < 0.9)
        {
            Figures.Comment("warning: the machine was busy; re-run on an idle machine before acting on codec.recommended");
        }
    }

    private static void PrintRecommendation(IReadOnlyList<(string Name, CodecFigures Transcript, CodecFigures Message)> measured)
    {
        var choice = CodecRecommendation.Choose(measured);
        Figures.Comment(CodecRecommendation.Rule);
        foreach (var note in choice.Notes)
        {
            Figures.Comment(note);
        }

        Figures.WriteText("codec.recommended", choice.Name ?? "none");
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
