using Serverless.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Serverless.Bench.Storage;

/// <summary>
/// The ops/s part of <c>bench/run storage</c> (<c>--only ops</c>): table and blob operations with our
/// clients (<see cref="OurStorageOps"/>, in this process) and with Microsoft's official JavaScript SDKs
/// (<see cref="OfficialStorageOps"/>, a Node child) against one Azurite, side by side in one run, and
/// the ratio ours/official of each. See <see cref="StorageOp.All"/> for the operations.
/// </summary>
/// <remarks>
/// Both sides run each operation sequentially (one in flight, each awaited before the next) and time
/// the loop themselves, so neither process start-up nor the pipe between them is counted. Every
/// operation is measured in several rounds, ours then official each time, so a burst of other work on
/// the machine tends to hit both sides rather than one; the fastest run of each side counts, since such
/// work only ever slows a run down.
/// </remarks>
internal static class StorageOpsBenchmark
{
    private const string TableName = "benchops";
    private const string ContainerName = "benchops";

    /// <summary>How long the untimed calibration run of each side takes, roughly; the timed count is sized from it.</summary>
    private const double CalibrationSeconds = 0.25;

    private static long partStarted;

    public static IReadOnlyList<string> Options { get; } = ["ops-rounds", "ops-target-ms"];

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var rounds = options.GetInt("ops-rounds", 3, 1, 20);
        var targetSeconds = options.GetInt("ops-target-ms", 1000, 50, 60_000) / 1000.0;
        partStarted = Stopwatch.GetTimestamp();
        Figures.Comment(MachineInfo.Describe());
        try
        {
            await MeasureAsync(rounds, targetSeconds);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Azurite or Node missing or failing, or a storage error: say so on the figure line, keep the suite going.
            var lines = e.Message.Split('\n');
            Figures.WriteText("storage.ops", $"failed ({lines[0].Trim()})");
            var details = string.Join('\n', lines[1..]).Trim();
            if (details.Length > 0)
            {
                Figures.Comment(details);
            }

            return 1;
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"ops part took {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0} s"));
        return 0;
    }

    private static async Task MeasureAsync(int rounds, double targetSeconds)
    {
        if (Azurite.Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        Progress("seeding the query partition and the blobs to download");
        var ours = await OurStorageOps.CreateAsync(azurite.Connection, TableName, ContainerName);
        await using var official = await OfficialStorageOps.StartAsync(azurite.ConnectionString, TableName, ContainerName);
        PrintSetup(official, rounds, targetSeconds);

        var counts = new Dictionary<StorageOp, (int Ours, int Official)>();
        foreach (var op in StorageOp.All)
        {
            Progress($"warm-up and calibration: {op.Name}");
            counts[op] = await CalibrateAsync(op, ours, official, targetSeconds);
            await ours.CleanUpAsync();
            await official.CleanUpAsync();
        }

        var oursRuns = StorageOp.All.ToDictionary(op => op, _ => new List<OpsRun>());
        var officialRuns = StorageOp.All.ToDictionary(op => op, _ => new List<OpsRun>());
        for (var round = 1; round <= rounds; round++)
        {
            foreach (var op in StorageOp.All)
            {
                Progress($"round {round}/{rounds}: {op.Name} x {counts[op].Ours} ours, x {counts[op].Official} official");
                oursRuns[op].Add(await RunAsync(azurite, ours, op, counts[op].Ours, $"c{round}"));
                officialRuns[op].Add(await RunAsync(azurite, official, op, counts[op].Official, $"o{round}"));
            }
        }

        foreach (var op in StorageOp.All)
        {
            Print(op, oursRuns[op], officialRuns[op]);
        }
    }

    /// <summary>One timed run of one side, with Azurite's CPU time around it; then the side deletes the blobs it put.</summary>
    private static async Task<OpsRun> RunAsync(Azurite azurite, IStorageOpsSide side, StorageOp op, int count, string tag)
    {
        var serverCpu = azurite.ProcessorTime;
        var run = await side.RunAsync(op, count, tag);
        run = run with { ServerCpuSeconds = (azurite.ProcessorTime - serverCpu).TotalSeconds };
        await side.CleanUpAsync();
        return run;
    }

    /// <summary>
    /// Warms both sides up (JIT, connections), then times a short run of each and returns, for each
    /// side, the count that takes about <paramref name="targetSeconds"/> at its own speed. (One count
    /// for both would make the slower side run for ratio times as long, which the time budget cannot afford.)
    /// </summary>
    private static async Task<(int Ours, int Official)> CalibrateAsync(StorageOp op, OurStorageOps ours, OfficialStorageOps official, double targetSeconds)
    {
        var oursWarm = await ours.RunAsync(op, op.WarmUpCount, "cw");
        var officialWarm = await official.RunAsync(op, op.WarmUpCount, "ow");
        var oursCal = await ours.RunAsync(op, CountFor(op, oursWarm.OpsPerSecond, CalibrationSeconds, op.WarmUpCount), "cc");
        var officialCal = await official.RunAsync(op, CountFor(op, officialWarm.OpsPerSecond, CalibrationSeconds, op.WarmUpCount), "oc");
        return (CountFor(op, oursCal.OpsPerSecond, targetSeconds, op.MinCount), CountFor(op, officialCal.OpsPerSecond, targetSeconds, op.MinCount));
    }

    private static int CountFor(StorageOp op, double opsPerSecond, double seconds, int min) =>
        (int)Math.Clamp(Math.Ceiling(opsPerSecond * seconds), min, op.MaxCount);

    private static void PrintSetup(OfficialStorageOps official, int rounds, double targetSeconds)
    {
        Figures.Comment("ours: Serverless.Storage TableClient / BlobContainerClient (C#, in-process, default StorageClientOptions)");
        Figures.Comment($"official: Node {official.NodeVersion}, @azure/data-tables {official.DataTablesVersion}, @azure/storage-blob {official.StorageBlobVersion} "
            + "(bench/node/storage-ops.mjs, one Node child for the whole part)");
        Figures.Comment($"against: one Azurite {AzuriteVersion()} for both (in-memory, 127.0.0.1, HTTP/1.1 keep-alive)");
        Figures.Comment("concurrency: sequential on both sides, one operation in flight, each awaited before the next; "
            + "blob transfers send one request at a time (official: uploadData/downloadToBuffer with concurrency 1)");
        Figures.Comment("entity: 10 properties (4 strings incl. a 512-char body, Int32, Int64, Double, Boolean, DateTime, Guid, 192-byte Binary), ~1.2 KiB of JSON, same on both sides");
        Figures.Comment("blobs: the same sizes of random bytes; put = a fresh blob each time (under 4 MiB one Put Blob, else 4 MiB blocks + Put Block List, on both sides); "
            + "get = the whole blob into memory (ours: DownloadAsync and copy the stream; official: downloadToBuffer, which also sends a HEAD first)");
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"ops/s = operations / wall time of the timed loop, measured inside each process; BEST (fastest) of {rounds} rounds per side, "
            + $"rounds alternating ours, official; each side's count is sized from an untimed calibration run for ~{targetSeconds:0.#} s per run; ratio = ours / official (> 1: ours is faster)"));
    }

    private static void Print(StorageOp op, List<OpsRun> oursRuns, List<OpsRun> officialRuns)
    {
        var prefix = $"storage.{op.Name}";
        var oursBest = Best(oursRuns).OpsPerSecond;
        var officialBest = Best(officialRuns).OpsPerSecond;
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"{prefix}: {op.Description}; ops per run ours {oursRuns[0].Count}, official {officialRuns[0].Count}; runs (ops/s) ours {Runs(oursRuns)}, official {Runs(officialRuns)}; "
            + $"HTTP requests per op ours {oursRuns[0].RequestsPerOp:0.##}, official {officialRuns[0].RequestsPerOp:0.##}; "
            + $"CPU ms per op in the best run: client ours {Best(oursRuns).CpuMillisecondsPerOp:0.00}, official {Best(officialRuns).CpuMillisecondsPerOp:0.00}, "
            + $"Azurite serving ours {Best(oursRuns).ServerCpuMillisecondsPerOp:0.00}, official {Best(officialRuns).ServerCpuMillisecondsPerOp:0.00}"));
        Figures.Write($"{prefix}.ours_ops_per_s", oursBest);
        Figures.Write($"{prefix}.official_ops_per_s", officialBest);
        Figures.Write($"{prefix}.ratio_ours_over_official", oursBest / officialBest);
    }

    private static void Progress(string text) =>
        Figures.Progress(string.Create(CultureInfo.InvariantCulture, $"storage ops {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0}s: {text}"));

    private static OpsRun Best(List<OpsRun> runs) => runs.MaxBy(r => r.OpsPerSecond)!;

    private static string Runs(List<OpsRun> runs) =>
        string.Join(' ', runs.Select(r => r.OpsPerSecond.ToString("0.#", CultureInfo.InvariantCulture)));

    private static string AzuriteVersion()
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "node_modules", "azurite", "package.json")));
            return json.RootElement.GetProperty("version").GetString() ?? "(unknown version)";
        }
        catch (Exception e) when (e is IOException or JsonException or KeyNotFoundException)
        {
            return "(unknown version)";
        }
    }
}
