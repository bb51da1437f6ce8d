using System.Diagnostics;

namespace Serverless.Bench.Codecs;

/// <summary>
/// A compressor command-line tool, run side by side with the in-process codecs as a reference
/// (zstd in particular is not available to the product before .NET 11).
/// </summary>
/// <see cref="TimeBoxed"/> tools run on the same corpus prefix as the time-boxed in-process codec.
internal sealed record CommandLineCodec(string Name, string Tool, string DebianPackage, string CompressArgs, string DecompressArgs, bool TimeBoxed);

/// <summary>
/// Times <c>gzip -9</c>, <c>brotli -q 11</c> and <c>zstd -19</c> on the transcript file: wall time of
/// the whole process (start-up included, which is noise at this size), file to file. The two slow
/// ones (about 1 MB/s) get the corpus prefix that in-process br11 gets, which also makes those three
/// comparable with each other.
/// A missing tool is reported as unavailable; no figure is ever made up.
/// </summary>
internal static class CommandLineCodecs
{
    public static IReadOnlyList<CommandLineCodec> All { get; } =
    [
        new("gzip-9", "gzip", "gzip", "-9 -c", "-d -c", TimeBoxed: false),
        // brotli's command line sizes its window to the file (up to 16 MiB); on the prefix it is no larger than .NET's 4 MiB.
        new("brotli-11", "brotli", "brotli", "-q 11 -c", "-d -c", TimeBoxed: true),
        // -T1: one thread, like a request handler; zstd would otherwise be free to use more cores.
        new("zstd-19", "zstd", "zstd", "-19 -T1 -q -c", "-d -q -c", TimeBoxed: true),
    ];

    public static void MeasureAll(byte[] transcript, byte[] slowPrefix, RepetitionPolicy policy)
    {
        var directory = Directory.CreateTempSubdirectory("serverless-bench-codecs-");
        try
        {
            var whole = Path.Combine(directory.FullName, "transcript.ndjson");
            var prefix = Path.Combine(directory.FullName, "transcript-prefix.ndjson");
            File.WriteAllBytes(whole, transcript);
            File.WriteAllBytes(prefix, slowPrefix);
            foreach (var codec in All)
            {
                Measure(codec, codec.TimeBoxed ? prefix : whole, codec.TimeBoxed ? slowPrefix : transcript, policy);
            }
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static void Measure(CommandLineCodec codec, string input, byte[] raw, RepetitionPolicy policy)
    {
        var prefix = $"codec.cli.{codec.Name}";
        var tool = FindOnPath(codec.Tool);
        if (tool is null)
        {
            Figures.WriteText(prefix, $"unavailable (install the Debian package {codec.DebianPackage})");
            return;
        }

        Figures.Progress($"{prefix} ({tool})");
        var stored = input + ".stored";
        var inflated = input + ".inflated";
        try
        {
            var on = codec.TimeBoxed ? $"the first {raw.Length} bytes of the transcript (time-boxed, like br11)" : "the whole transcript";
            Figures.Comment($"{prefix}: {Version(tool)}: `{codec.Tool} {codec.CompressArgs}` / `{codec.Tool} {codec.DecompressArgs}` on {on}");
            var compress = policy.Run(() => RunFileToFile(tool, codec.CompressArgs, input, stored));
            var decompress = policy.Run(() => RunFileToFile(tool, codec.DecompressArgs, stored, inflated));
            if (!File.ReadAllBytes(inflated).AsSpan().SequenceEqual(raw))
            {
                throw new InvalidOperationException("the decompressed file differs from the input");
            }

            new CodecFigures(prefix, raw.Length, new FileInfo(stored).Length, compress, decompress).Print();
        }
        catch (InvalidOperationException e)
        {
            Figures.WriteText(prefix, $"failed ({e.Message})");
        }
        finally
        {
            File.Delete(stored);
            File.Delete(inflated);
        }
    }

    /// <summary>Runs <c>tool args &lt; from &gt; to</c> through sh, so the tool reads and writes files itself.</summary>
    public static void RunFileToFile(string tool, string args, string from, string to)
    {
        var result = Run("/bin/sh", "-c", $"exec \"$0\" {args} < \"$1\" > \"$2\"", tool, from, to);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"`{Path.GetFileName(tool)} {args}` exited with {result.ExitCode}: {result.Output.Trim()}");
        }
    }

    private static string Version(string tool)
    {
        var result = Run(tool, "--version");
        var firstLine = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        return firstLine?.Trim('*', ' ') ?? "version unknown";
    }

    /// <summary>Runs a process and returns its exit code and stderr (plus stdout when asked for the version).</summary>
    private static (int ExitCode, string Output) Run(string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {fileName}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The tool's path on PATH, or null when it is not installed.</summary>
    public static string? FindOnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, tool))
            .FirstOrDefault(path => File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0));
}
