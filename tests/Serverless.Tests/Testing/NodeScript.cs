using System.Diagnostics;
using System.Text.Json;

namespace Serverless.Tests.Testing;

/// <summary>Runs a Node.js script of tests/interop (JWT minting with jose, Standard Webhooks verification) and parses its JSON output.</summary>
public static class NodeScript
{
    public static async Task<JsonElement> RunAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(RepositoryPaths.Combine("tests", "interop", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"node {script} {arguments.FirstOrDefault()} exited {process.ExitCode}: {await stderr}");
        }

        return JsonDocument.Parse(await stdout).RootElement.Clone();
    }
}
