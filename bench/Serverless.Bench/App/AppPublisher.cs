using Serverless.Testing;
using System.Diagnostics;
using System.Globalization;

namespace Serverless.Bench.App;

/// <summary>
/// Publishes the server (with scripts/publish, exactly as for deployment) and the empty baseline app
/// (the same dotnet publish options) under <c>artifacts/bench/app/</c>, and skips a publish whose
/// output is newer than every input: a publish takes about a minute and a half on two cores.
/// </summary>
internal static class AppPublisher
{
    private static string Root => RepositoryPaths.Root;

    private static string OutputRoot => Path.Combine(Root, "artifacts", "bench", "app");

    /// <summary>The published server's folder, up to date with src/.</summary>
    public static Task<PublishedApp> ServerAsync(bool force) => EnsureAsync(
        "server",
        "Serverless.Functions",
        [Path.Combine(Root, "src"), Path.Combine(Root, "host.json"), Path.Combine(Root, "scripts", "publish")],
        output => ("bash", [Path.Combine(Root, "scripts", "publish"), output]),
        force);

    /// <summary>The published empty app's folder, up to date with bench/EmptyApp.</summary>
    public static Task<PublishedApp> EmptyAppAsync(bool force) => EnsureAsync(
        "empty",
        "EmptyApp",
        [Path.Combine(Root, "bench", "EmptyApp")],
        output => ("dotnet", ["publish", Path.Combine(Root, "bench", "EmptyApp"), "-c", "Release", "-r", "linux-x64", "--self-contained", "false", "-p:PublishReadyToRun=true", "-o", output, "--nologo"]),
        force);

    private static async Task<PublishedApp> EnsureAsync(
        string name, string executable, string[] inputs, Func<string, (string File, string[] Arguments)> command, bool force)
    {
        var output = Path.Combine(OutputRoot, name);
        var stamp = Path.Combine(OutputRoot, name + ".published");
        var exe = Path.Combine(output, executable);
        string[] shared = ["Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "global.json"];
        var newestInput = inputs.Concat(shared.Select(f => Path.Combine(Root, f))).Max(NewestWrite);

        if (!force && File.Exists(stamp) && File.Exists(exe) && File.GetLastWriteTimeUtc(stamp) > newestInput)
        {
            Figures.Progress($"{name}: published output is up to date ({output})");
            return new PublishedApp(output, exe, null);
        }

        Figures.Progress($"{name}: publishing to {output} (linux-x64, framework-dependent, ReadyToRun)");
        if (Directory.Exists(output))
        {
            Directory.Delete(output, recursive: true);
        }

        Directory.CreateDirectory(output);
        File.Delete(stamp);
        var (file, arguments) = command(output);
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var log = Path.Combine(OutputRoot, name + "-publish.log");
        await File.WriteAllTextAsync(log, await stdout + await stderr);
        if (process.ExitCode != 0 || !File.Exists(exe))
        {
            throw new InvalidOperationException($"publishing {name} failed (exit {process.ExitCode}); see {log}");
        }

        await File.WriteAllTextAsync(stamp, DateTime.UtcNow.ToString("O", CultureInfo.InvariantCulture));
        return new PublishedApp(output, exe, watch.Elapsed);
    }

    private static DateTime NewestWrite(string path)
    {
        if (File.Exists(path))
        {
            return File.GetLastWriteTimeUtc(path);
        }

        if (!Directory.Exists(path))
        {
            return DateTime.MinValue;
        }

        // Build output is not an input.
        return Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .Select(File.GetLastWriteTimeUtc)
            .DefaultIfEmpty(DateTime.MinValue)
            .Max();
    }
}

/// <summary>A published app folder.</summary>
/// <param name="Directory">The folder.</param>
/// <param name="Executable">Its apphost.</param>
/// <param name="PublishTime">How long publishing took, or null when the cached output was used.</param>
internal sealed record PublishedApp(string Directory, string Executable, TimeSpan? PublishTime)
{
    /// <summary>The folder's total size in bytes.</summary>
    public long Bytes => new DirectoryInfo(Directory).EnumerateFiles("*", SearchOption.AllDirectories).Sum(f => f.Length);
}
