using Serverless.Bench.Codecs;

namespace Serverless.Bench.Storage;

/// <summary>
/// <c>bench/run storage</c>: the parts below, in order. Options: <c>--only &lt;part&gt;</c> plus
/// whatever the parts read. A failing part does not stop the next one; the suite's exit code
/// is the first non-zero one.
/// </summary>
internal static class StorageSuite
{
    private static readonly BenchPart[] Parts =
    [
        new("codecs", "compression ratio and MB/s of the payload codecs (PayloadCodec) and of gzip/brotli/zstd command-line tools",
            CodecBenchmark.Options, CodecBenchmark.RunAsync),

        new("ops", "each store operation vs the bare Azure SDK call(s) it performs, alternating on one Azurite: ops/s, p50/p95 and the ratio store/SDK",
            StoreVsSdkBenchmark.Options, StoreVsSdkBenchmark.RunAsync),
    ];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["-h" or "--help"])
        {
            Console.Out.WriteLine(Usage());
            return 0;
        }

        var options = BenchOptions.Parse(args);
        var known = Parts.SelectMany(p => p.Options).Append("only").ToHashSet(StringComparer.Ordinal);
        var unknown = options.Names.Where(n => !known.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new BenchUsageException($"unknown option(s) {string.Join(", ", unknown.Select(n => "--" + n))}\n{Usage()}");
        }

        var only = options.GetString("only");
        if (only is not null && !Parts.Any(p => p.Name == only))
        {
            throw new BenchUsageException($"--only: no part named '{only}'\n{Usage()}");
        }

        var exitCode = 0;
        foreach (var part in Parts.Where(p => only is null || p.Name == only))
        {
            Figures.Comment($"storage part: {part.Name} ({part.Description})");
            var code = await part.RunAsync(options);
            if (exitCode == 0)
            {
                exitCode = code;
            }
        }

        return exitCode;
    }

    private static string Usage() =>
        "usage: bench/run storage [--only <part>] [part options]\n"
        + string.Join('\n', Parts.Select(p =>
            $"  {p.Name}: {p.Description}" + (p.Options.Count == 0 ? "" : $"\n    options: {string.Join(' ', p.Options.Select(o => "--" + o))}")));
}
