using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage;

namespace Serverless.Testing;

/// <summary>
/// A real Azurite process: the npm package pinned in package.json, started on free ports of
/// 127.0.0.1 with in-memory persistence, stopped on dispose or when this process exits. Tests share
/// one per run (<see cref="Shared"/>) and isolate themselves with unique table and container names;
/// benchmarks start their own.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    private static readonly Lazy<Task<Azurite>> SharedInstance = new(() => StartAsync());
    private readonly Process process;

    private Azurite(Process process, int blobPort, int tablePort)
    {
        this.process = process;
        BlobPort = blobPort;
        TablePort = tablePort;
    }

    /// <summary>The one Azurite of a test run, started on first use.</summary>
    public static Task<Azurite> Shared => SharedInstance.Value;

    /// <summary>Why Azurite cannot be started here (not installed), or <c>null</c> when it can.</summary>
    public static string? Unavailable => File.Exists(RepositoryPaths.Azurite)
        ? null
        : $"Azurite is not installed at {RepositoryPaths.Azurite}: run 'npm ci' in {RepositoryPaths.Root} (scripts/test does).";

    /// <summary>The blob service port.</summary>
    public int BlobPort { get; }

    /// <summary>The table service port.</summary>
    public int TablePort { get; }

    /// <summary>A Shared Key connection string with path-style endpoints, as Azurite wants.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};";

    /// <summary>The emulator's well-known account.</summary>
    public static string AccountName => "devstoreaccount1";

    /// <summary>The account's clients, with the app's pipeline; <paramref name="customize"/> runs on each client's options after it (a transport, a counter).</summary>
    public StorageAccount Connect(Action<ClientOptions>? customize = null) => StorageAccount.FromConnectionString(ConnectionString, customize);

    /// <summary>A client for table <paramref name="name"/>, with the app's pipeline (see <see cref="Connect"/>).</summary>
    public TableClient Table(string name, Action<ClientOptions>? customize = null) => Connect(customize).Tables.GetTableClient(name);

    /// <summary>A client for container <paramref name="name"/>, with the app's pipeline (see <see cref="Connect"/>).</summary>
    public BlobContainerClient Container(string name, Action<ClientOptions>? customize = null) => Connect(customize).Blobs.GetBlobContainerClient(name);

    /// <summary>A table or container name no other test uses: lower-case letters and digits, starting with a letter.</summary>
    public static string UniqueName(string prefix) => (prefix + Guid.NewGuid().ToString("N"))[..Math.Min(prefix.Length + 32, 63)].ToLowerInvariant();

    /// <summary>Runs its arguments after the first (the owner's process id) and stops them when the owner is gone.</summary>
    private const string Watchdog = """
        owner=$1; shift
        "$@" & child=$!
        trap 'kill "$child" 2>/dev/null; exit 0' TERM INT
        while kill -0 "$child" 2>/dev/null; do
          kill -0 "$owner" 2>/dev/null || { kill "$child" 2>/dev/null; exit 0; }
          sleep 2
        done
        wait "$child"
        """;

    /// <summary>Starts Azurite and waits until its blob and table ports accept connections.</summary>
    /// <param name="extraArguments">Further command-line options, e.g. <c>--skipApiVersionCheck</c>.</param>
    /// <exception cref="InvalidOperationException">Azurite is not installed or did not start; the message says why.</exception>
    public static async Task<Azurite> StartAsync(params string[] extraArguments)
    {
        if (Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var ports = FreePorts.Take(3);
        // A test host that is killed (a hung run stopped, a debugger detached) never runs ProcessExit, and an in-memory
        // Azurite would live on. On Unix it runs under a small shell that also stops it once this process is gone.
        var start = OperatingSystem.IsWindows()
            ? new ProcessStartInfo(RepositoryPaths.Azurite)
            : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", Watchdog, "azurite-watchdog", Invariant(Environment.ProcessId), RepositoryPaths.Azurite } };
        start.WorkingDirectory = Path.GetTempPath();
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var arg in new[]
        {
            "--inMemoryPersistence", "--silent", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", Invariant(ports[0]),
            "--tableHost", "127.0.0.1", "--tablePort", Invariant(ports[1]),
            "--queueHost", "127.0.0.1", "--queuePort", Invariant(ports[2]),

            // Azurite closes idle keep-alive connections after 5 s by default, racing the clients' pools.
            "--blobKeepAliveTimeout", "300", "--tableKeepAliveTimeout", "300",
        }.Concat(extraArguments))
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(process);

        try
        {
            await FreePorts.WaitUntilListeningAsync(ports[0], TimeSpan.FromSeconds(60), () => process.HasExited);
            await FreePorts.WaitUntilListeningAsync(ports[1], TimeSpan.FromSeconds(60), () => process.HasExited);
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            Stop(process);

            // Only the parameterless WaitForExit waits for the output handlers to reach the end of both streams.
            if (process.WaitForExit(TimeSpan.FromSeconds(5)))
            {
                process.WaitForExit();
            }

            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"Azurite failed to start: {e.Message}\n{log.Trim()}", e);
        }

        return new Azurite(process, ports[0], ports[1]);
    }

    /// <summary>Stops the process.</summary>
    public async ValueTask DisposeAsync()
    {
        Stop(process);
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // It was told to stop; do not hold the caller up.
        }

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
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone, or disposed.
        }
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}
