using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Serverless.Bench.App;
using Serverless.Testing;

namespace Serverless.Bench.Artifacts;

/// <summary>
/// <c>bench/run artifacts</c>: the published server as a separate process (Production, HMAC tokens) on one Azurite the
/// suite starts, and three parts: <c>transfer</c> (upload and download of 1 KiB, 1 MiB and 100 MiB through the API
/// against the bare SDK moving the same bytes, interleaved, as ratios; and the server's working-set growth during the
/// 100 MiB transfers), <c>compression</c> (what each content type takes in storage) and <c>autosave</c> (PUT p50/p95
/// through the API, and storage requests per save counted on the store's pipeline).
/// Options: <c>--only &lt;part&gt;</c>, <c>--republish 0|1</c>, <c>--large-reps N</c>.
/// </summary>
internal static class ArtifactsSuite
{
    private static readonly string[] Parts = ["transfer", "compression", "autosave"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["-h" or "--help"])
        {
            Console.Out.WriteLine(Usage());
            return 0;
        }

        var options = BenchOptions.Parse(args);
        var unknown = options.Names.Where(n => n is not ("only" or "republish" or "large-reps")).ToList();
        if (unknown.Count > 0)
        {
            throw new BenchUsageException($"unknown option(s) {string.Join(", ", unknown.Select(n => "--" + n))}\n{Usage()}");
        }

        var only = options.GetString("only");
        if (only is not null && !Parts.Contains(only))
        {
            throw new BenchUsageException($"--only: no part named '{only}'\n{Usage()}");
        }

        var republish = options.GetInt("republish", 0, 0, 1) == 1;
        var largeReps = options.GetInt("large-reps", 3, 1, 20);
        var started = Stopwatch.GetTimestamp();
        Figures.Comment(MachineInfo.Describe());
        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        PublishedApp server;
        try
        {
            server = await AppPublisher.ServerAsync(republish);
        }
        catch (InvalidOperationException e)
        {
            Figures.WriteText("artifacts", $"failed ({e.Message})");
            return 1;
        }

        Figures.Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        var deployment = await ArtifactsDeployment.CreateAsync(azurite, server);
        try
        {
            await using var app = await deployment.StartAppAsync();
            foreach (var part in Parts.Where(p => only is null || p == only))
            {
                var partStarted = Stopwatch.GetTimestamp();
                Figures.Comment($"artifacts part: {part}");
                switch (part)
                {
                    case "transfer": await TransferPart.RunAsync(deployment, app, largeReps); break;
                    case "compression": await CompressionSizesPart.RunAsync(app); break;
                    case "autosave": await AutosavePart.RunAsync(deployment, app); break;
                }

                Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"part {part} took {Stopwatch.GetElapsedTime(partStarted).TotalSeconds:0} s"));
            }
        }
        finally
        {
            await deployment.CleanupAsync();
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"artifacts suite took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return 0;
    }

    private static string Usage() =>
        "usage: bench/run artifacts [--only transfer|compression|autosave] [--republish 0|1 (0)] [--large-reps N (3)]\n"
        + "  starts its own Azurite and the published server (scripts/publish output under artifacts/bench/app/server)\n"
        + "  transfer: upload/download 1 KiB, 1 MiB, 100 MiB through the API vs the bare SDK (interleaved; ratio = API time / SDK time), server working-set growth at 100 MiB\n"
        + "  compression: stored bytes per content type (about 1 MiB of each)\n"
        + "  autosave: PUT /autosave/{slot} p50/p95 through the API, storage requests per save";

    /// <summary>Random bytes of <paramref name="length"/>, the same for the same seed (incompressible, as media are).</summary>
    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Lower-case hex SHA-256.</summary>
    internal static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
