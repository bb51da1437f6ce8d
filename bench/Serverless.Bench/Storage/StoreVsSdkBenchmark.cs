using System.Diagnostics;
using System.Globalization;
using Serverless.Bench.App;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Storage;

/// <summary>
/// The ops part of <c>bench/run storage</c> (<c>--only ops</c>): each store operation against the bare
/// Azure SDK call(s) it performs (<see cref="StoreVsSdkOps"/>), side by side in one process on one
/// Azurite, and the ratio store/SDK of their latencies. Goal: at most 1.1 at p50.
/// </summary>
/// <remarks>
/// Both sides use the same clients' options (the app's pipeline: <see cref="StoragePipeline"/>), so the
/// ratio is the cost of our code on top of the SDK, not of a different retry or transport setup. After
/// a warm-up of each side, the two alternate sample by sample (store first on even samples, SDK first
/// on odd ones), so a burst of other work on the machine hits both. One operation in flight at a time.
/// </remarks>
internal static class StoreVsSdkBenchmark
{
    private static long partStarted;

    public static IReadOnlyList<string> Options { get; } = ["ops-samples", "ops-warmup"];

    public static async Task<int> RunAsync(BenchOptions options)
    {
        var samples = options.GetInt("ops-samples", 300, 10, 100_000);
        var warmUp = options.GetInt("ops-warmup", 30, 1, 10_000);
        partStarted = Stopwatch.GetTimestamp();
        Figures.Comment(MachineInfo.Describe());
        try
        {
            await MeasureAsync(samples, warmUp);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Azurite missing or failing, or a storage error: say so on the figure line, keep the suite going.
            var lines = e.Message.Split('\n');
            Figures.WriteText("storage.ops", $"failed ({lines[0].Trim()})");
            Figures.Comment(string.Join('\n', lines[1..]).Trim());
            return 1;
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"ops part took {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0} s"));
        return 0;
    }

    private static async Task MeasureAsync(int samples, int warmUp)
    {
        if (Azurite.Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        var storeCounter = new RoundTripCounter();
        var sdkCounter = new RoundTripCounter();
        var store = azurite.Connect(storeCounter.AddTo);
        var sdk = azurite.Connect(sdkCounter.AddTo);
        var table = Azurite.UniqueName("ops");
        var container = Azurite.UniqueName("ops");
        await store.Tables.GetTableClient(table).CreateIfNotExistsAsync();
        await store.Blobs.GetBlobContainerClient(container).CreateIfNotExistsAsync();
        var expiryTable = store.Tables.GetTableClient(Azurite.UniqueName("opsx"));
        await expiryTable.CreateIfNotExistsAsync();
        var expiry = new ExpiryIndex(expiryTable, new SettingsStore(store.Tables.GetTableClient(table)), new RetentionPolicy(), TimeProvider.System);

        Progress("seeding settings, threads and payloads");
        var pairs = await StoreVsSdkOps.CreateAsync(
            store.Tables.GetTableClient(table), store.Blobs.GetBlobContainerClient(container),
            sdk.Tables.GetTableClient(table), sdk.Blobs.GetBlobContainerClient(container), expiry, samples);
        PrintSetup(samples, warmUp);

        foreach (var pair in pairs)
        {
            Progress($"{pair.Name}: {warmUp} warm-up + {pair.Samples} samples per side");
            for (var i = 0; i < warmUp; i++)
            {
                await pair.Store(-1 - i);
                await pair.Sdk(-1 - i);
            }

            storeCounter.Reset();
            sdkCounter.Reset();
            var storeTimes = new LatencySample();
            var sdkTimes = new LatencySample();
            for (var i = 0; i < pair.Samples; i++)
            {
                if (i % 2 == 0)
                {
                    storeTimes.Add(await TimeAsync(pair.Store, i));
                    sdkTimes.Add(await TimeAsync(pair.Sdk, i));
                }
                else
                {
                    sdkTimes.Add(await TimeAsync(pair.Sdk, i));
                    storeTimes.Add(await TimeAsync(pair.Store, i));
                }
            }

            Print(pair, storeTimes, sdkTimes, (double)storeCounter.Count / pair.Samples, (double)sdkCounter.Count / pair.Samples);
        }
    }

    private static async Task<TimeSpan> TimeAsync(Func<int, Task> operation, int iteration)
    {
        var started = Stopwatch.GetTimestamp();
        await operation(iteration);
        return Stopwatch.GetElapsedTime(started);
    }

    private static void PrintSetup(int samples, int warmUp)
    {
        Figures.Comment("store: Serverless.Storage stores (SettingsStore, MessageStore, PayloadStore) on Azure.Data.Tables 12.13.0 / Azure.Storage.Blobs 12.30.1");
        Figures.Comment("sdk: the same SDK calls the store sends, written directly (same tables and containers, other rows and blobs, same client options)");
        Figures.Comment($"against: one Azurite for both (in-memory, 127.0.0.1, HTTP/1.1 keep-alive); {warmUp} warm-up runs per side, then {samples} samples per side (100 for 1 MiB payloads), alternating store/SDK");
        Figures.Comment("ops/s = samples / summed latency of that side; p50/p95 = nearest-rank percentiles; ratio = store / sdk (1.0: no overhead; goal <= 1.1 at p50)");
    }

    private static void Print(OpPair pair, LatencySample store, LatencySample sdk, double storeRequests, double sdkRequests)
    {
        var prefix = $"storage.{pair.Name}";
        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"{prefix}: {pair.Description}; HTTP requests per op store {storeRequests:0.##}, sdk {sdkRequests:0.##}"));
        Figures.Write($"{prefix}.store_ops_per_s", 1000 / store.Mean);
        Figures.Write($"{prefix}.sdk_ops_per_s", 1000 / sdk.Mean);
        Figures.Write($"{prefix}.store_p50_ms", store.Percentile(0.5));
        Figures.Write($"{prefix}.store_p95_ms", store.Percentile(0.95));
        Figures.Write($"{prefix}.sdk_p50_ms", sdk.Percentile(0.5));
        Figures.Write($"{prefix}.sdk_p95_ms", sdk.Percentile(0.95));
        Figures.Write($"{prefix}.ratio_p50", store.Percentile(0.5) / sdk.Percentile(0.5));
        Figures.Write($"{prefix}.ratio_p95", store.Percentile(0.95) / sdk.Percentile(0.95));
    }

    private static void Progress(string text) =>
        Figures.Progress(string.Create(CultureInfo.InvariantCulture, $"storage ops {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0}s: {text}"));
}
