namespace Serverless.Bench.Storage;

/// <summary>
/// One storage operation both sides time (see bench/node/storage-ops.mjs for the list).
/// <paramref name="Name"/> is what the Node script is told and the middle of the figure names
/// (<c>storage.&lt;Name&gt;.ours_ops_per_s</c>). <paramref name="WarmUpCount"/> runs first, untimed, on
/// each side; the timed count is then sized from a calibration run to take the target time, within
/// <paramref name="MinCount"/>..<paramref name="MaxCount"/>.
/// </summary>
internal sealed record StorageOp(string Name, string Description, int WarmUpCount, int MinCount, int MaxCount)
{
    public const int KiB = 1024;
    public const int MiB = 1024 * 1024;

    /// <summary>The blob sizes of the put and get operations, by the name suffix both sides use.</summary>
    public static IReadOnlyDictionary<string, int> BlobSizes { get; } = new Dictionary<string, int>(StringComparer.Ordinal)
    {
        ["1kib"] = KiB,
        ["1mib"] = MiB,
        ["16mib"] = 16 * MiB,
    };

    public static IReadOnlyList<StorageOp> All { get; } =
    [
        new("table.insert", "insert one entity (fresh row)", WarmUpCount: 20, MinCount: 20, MaxCount: 20_000),
        new("table.get", "point read of one entity", WarmUpCount: 20, MinCount: 20, MaxCount: 20_000),
        new("table.query_page", "one query page of 1,000 entities ($top=1000) from a partition of 1,000", WarmUpCount: 3, MinCount: 3, MaxCount: 1_000),
        new("table.batch_100", "one entity group transaction of 100 inserts (fresh rows)", WarmUpCount: 3, MinCount: 3, MaxCount: 1_000),
        new("blob.put_1kib", "upload a fresh 1 KiB blob", WarmUpCount: 20, MinCount: 20, MaxCount: 20_000),
        new("blob.put_1mib", "upload a fresh 1 MiB blob", WarmUpCount: 5, MinCount: 5, MaxCount: 2_000),
        new("blob.put_16mib", "upload a fresh 16 MiB blob (4 MiB blocks + block list on both sides)", WarmUpCount: 1, MinCount: 2, MaxCount: 100),
        new("blob.get_1kib", "download a 1 KiB blob into memory", WarmUpCount: 20, MinCount: 20, MaxCount: 20_000),
        new("blob.get_1mib", "download a 1 MiB blob into memory", WarmUpCount: 5, MinCount: 5, MaxCount: 2_000),
        new("blob.get_16mib", "download a 16 MiB blob into memory", WarmUpCount: 1, MinCount: 2, MaxCount: 100),
    ];
}

/// <summary>
/// One timed loop: <paramref name="Count"/> operations, one after another, in <paramref name="Seconds"/> of
/// wall time, during which the client process used <paramref name="CpuSeconds"/> of CPU (all its threads)
/// and sent <paramref name="Requests"/> HTTP requests. <see cref="ServerCpuSeconds"/> is Azurite's CPU time
/// meanwhile, measured around the whole command by the caller.
/// </summary>
internal sealed record OpsRun(int Count, double Seconds, double CpuSeconds, long Requests)
{
    public double ServerCpuSeconds { get; init; } = double.NaN;

    public double OpsPerSecond => Count / Seconds;

    public double CpuMillisecondsPerOp => CpuSeconds * 1000 / Count;

    public double ServerCpuMillisecondsPerOp => ServerCpuSeconds * 1000 / Count;

    public double RequestsPerOp => (double)Requests / Count;
}

/// <summary>One side of the comparison: our clients in this process, or the official SDK in a Node child.</summary>
internal interface IStorageOpsSide
{
    /// <summary>Runs <paramref name="op"/> <paramref name="count"/> times, sequentially, and times the loop. <paramref name="tag"/> makes row and blob names unique.</summary>
    Task<OpsRun> RunAsync(StorageOp op, int count, string tag);

    /// <summary>Deletes the blobs the put operations have created so far (Azurite keeps them in memory).</summary>
    Task CleanUpAsync();
}
