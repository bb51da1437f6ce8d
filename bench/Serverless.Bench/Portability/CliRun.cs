using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Serverless.Testing;

namespace Serverless.Bench.Portability;

/// <summary>
/// The command-line tool (tools/Serverless.Cli, built in Release) run as a process against a server, as a user runs it:
/// address and token from <c>ASSISTANT_BACKEND_URL</c>/<c>ASSISTANT_BACKEND_TOKEN</c>, <c>--json</c> output. Its peak
/// working set is its VmHWM (/proc/{pid}/status), sampled every 50 ms while it runs (the peak only grows, so the last
/// sample misses at most the last 50 ms).
/// </summary>
internal static class CliRun
{
    /// <summary>One run: exit code, its JSON answer, wall time and peak working set in bytes.</summary>
    public sealed record Result(int ExitCode, JsonElement Json, double Seconds, long PeakWorkingSet);

    /// <summary>Builds the tool in Release (an up-to-date build is quick) and returns its entry assembly.</summary>
    public static async Task<string> BuildAsync()
    {
        var project = Path.Combine(RepositoryPaths.Root, "tools", "Serverless.Cli");
        using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", project, "-c", "Release", "--nologo", "-v", "q"]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building the command-line tool failed: {await output}{await errors}");
        }

        return Path.Combine(project, "bin", "Release", "net10.0", "assistant-backend.dll");
    }

    /// <summary>Runs <c>dotnet {tool} {arguments} --json</c> against <paramref name="server"/> as the user of <paramref name="token"/>.</summary>
    public static async Task<Result> RunAsync(string tool, Uri server, string token, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(tool);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.ArgumentList.Add("--json");
        start.Environment["ASSISTANT_BACKEND_URL"] = server.ToString().TrimEnd('/');
        start.Environment["ASSISTANT_BACKEND_TOKEN"] = token;
        start.Environment["ASSISTANT_BACKEND_CONFIG"] = Path.Combine(Path.GetTempPath(), $"bench-cli-{Guid.NewGuid():N}.json");
        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        while (!process.HasExited)
        {
            peak = Math.Max(peak, PeakWorkingSet(process.Id) ?? 0);
            await Task.Delay(50);
        }

        await process.WaitForExitAsync();
        var seconds = watch.Elapsed.TotalSeconds;
        var text = await stdout;
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(text).RootElement;
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"the tool answered no JSON (exit {process.ExitCode}): {text}{await stderr}");
        }

        return new Result(process.ExitCode, json, seconds, peak);
    }

    /// <summary>A process's peak resident set (VmHWM) in bytes, or null once it is gone.</summary>
    public static long? PeakWorkingSet(int processId)
    {
        try
        {
            var line = File.ReadLines($"/proc/{processId}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
