using Serverless.Testing;
using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Serverless.Bench.Storage;

/// <summary>
/// The official side: bench/node/storage-ops.mjs (Microsoft's JavaScript SDKs) as one long-lived Node
/// child, told what to run over stdin and answering with its own timings as JSON lines on stdout.
/// Keeping one process for the whole part means its start-up and warm-up are paid once, as ours are.
/// </summary>
internal sealed class OfficialStorageOps : IStorageOpsSide, IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(3);

    private readonly Process process;
    private readonly StringBuilder stderr;

    private OfficialStorageOps(Process process, StringBuilder stderr, string nodeVersion, string dataTablesVersion, string storageBlobVersion)
    {
        this.process = process;
        this.stderr = stderr;
        NodeVersion = nodeVersion;
        DataTablesVersion = dataTablesVersion;
        StorageBlobVersion = storageBlobVersion;
    }

    public static string Script => Path.Combine(RepositoryPaths.Root, "bench", "node", "storage-ops.mjs");

    public string NodeVersion { get; }

    public string DataTablesVersion { get; }

    public string StorageBlobVersion { get; }

    /// <summary>Starts the script and waits for its ready line.</summary>
    /// <exception cref="InvalidOperationException">Node is missing, or the script failed to start; the message says why.</exception>
    public static async Task<OfficialStorageOps> StartAsync(string connectionString, string tableName, string containerName)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
        };

        // --expose-gc: the script collects garbage before each timed loop, as our side does.
        foreach (var arg in new[] { "--expose-gc", Script, connectionString, tableName, containerName })
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run 'node' ({e.Message}): install Node.js 20 or later and run 'npm ci' in {RepositoryPaths.Root}", e);
        }

        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (stderr) { stderr.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);

        try
        {
            var ready = await ReadReplyAsync(process, stderr, StartTimeout, "start");
            return new OfficialStorageOps(
                process,
                stderr,
                ready.GetProperty("node").GetString() ?? "?",
                ready.GetProperty("dataTables").GetString() ?? "?",
                ready.GetProperty("storageBlob").GetString() ?? "?");
        }
        catch
        {
            Stop(process);
            throw;
        }
    }

    public async Task<OpsRun> RunAsync(StorageOp op, int count, string tag)
    {
        var command = JsonSerializer.Serialize(new Dictionary<string, object> { ["op"] = op.Name, ["count"] = count, ["tag"] = tag });
        await process.StandardInput.WriteLineAsync(command);
        await process.StandardInput.FlushAsync();
        var reply = await ReadReplyAsync(process, stderr, CommandTimeout, op.Name);
        var replied = reply.GetProperty("count").GetInt32();
        if (reply.GetProperty("op").GetString() != op.Name || replied != count)
        {
            throw new InvalidOperationException($"{Path.GetFileName(Script)} answered {reply} to {command}");
        }

        return new OpsRun(replied, reply.GetProperty("seconds").GetDouble(), reply.GetProperty("cpuSeconds").GetDouble(), reply.GetProperty("requests").GetInt64());
    }

    public async Task CleanUpAsync()
    {
        await process.StandardInput.WriteLineAsync("{\"op\":\"cleanup\"}");
        await process.StandardInput.FlushAsync();
        await ReadReplyAsync(process, stderr, CommandTimeout, "cleanup");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                await process.StandardInput.WriteLineAsync("{\"op\":\"exit\"}");
                await process.StandardInput.FlushAsync();
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await process.WaitForExitAsync(timeout.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // It will be killed below.
        }

        Stop(process);
        process.Dispose();
    }

    private static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception)
        {
            // Already gone, or disposed.
        }
    }

    private static async Task<JsonElement> ReadReplyAsync(Process process, StringBuilder stderr, TimeSpan timeout, string what)
    {
        using var cancel = new CancellationTokenSource(timeout);
        string? line;
        try
        {
            line = await process.StandardOutput.ReadLineAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"{Path.GetFileName(Script)} gave no answer to '{what}' within {timeout.TotalSeconds:0} s{StderrTail(stderr)}");
        }

        if (line is null)
        {
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"{Path.GetFileName(Script)} exited (code {process.ExitCode}) during '{what}'{StderrTail(stderr)}");
        }

        JsonElement reply;
        try
        {
            reply = JsonDocument.Parse(line).RootElement.Clone();
        }
        catch (JsonException)
        {
            throw new InvalidOperationException($"{Path.GetFileName(Script)} printed a line that is not JSON during '{what}': {line}{StderrTail(stderr)}");
        }

        if (reply.TryGetProperty("error", out var error))
        {
            throw new InvalidOperationException($"{Path.GetFileName(Script)} failed during '{what}': {error.GetString()}");
        }

        return reply;
    }

    private static string StderrTail(StringBuilder stderr)
    {
        string text;
        lock (stderr)
        {
            text = stderr.ToString().Trim();
        }

        return text.Length == 0 ? "" : "\n" + (text.Length > 4000 ? "..." + text[^4000..] : text);
    }
}
