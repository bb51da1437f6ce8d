using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Serverless.Storage;

namespace Serverless.Bench;

/// <summary>
/// An Azurite process for a benchmark part, started like the tests' launcher
/// (tests/Serverless.Tests/Testing/Azurite.cs): the npm package pinned in package.json, in-memory
/// persistence, free ports on 127.0.0.1, keep-alive timeouts of 300 s. Dispose it to stop it; it is
/// also stopped when the bench process exits.
/// </summary>
internal sealed class BenchAzurite : IAsyncDisposable
{
    private readonly Process process;

    private BenchAzurite(Process process, int blobPort, int tablePort)
    {
        this.process = process;
        BlobPort = blobPort;
        TablePort = tablePort;
    }

    /// <summary>The repository root: the nearest ancestor of the bench binaries holding Serverless.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The Azurite launcher that <c>npm ci</c> at the repository root installs.</summary>
    public static string Executable => Path.Combine(RepositoryRoot, "node_modules", ".bin", "azurite");

    /// <summary>Why Azurite cannot be started here (not installed), or <c>null</c> when it can.</summary>
    public static string? Unavailable => File.Exists(Executable)
        ? null
        : $"Azurite is not installed at {Executable}: run 'npm ci' in {RepositoryRoot}";

    public int BlobPort { get; }

    public int TablePort { get; }

    /// <summary>A Shared Key connection string with path-style endpoints, as Azurite wants.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={StorageConnection.DevelopmentAccountName};"
        + "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
        + $"TableEndpoint=http://127.0.0.1:{TablePort}/{StorageConnection.DevelopmentAccountName};"
        + $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{StorageConnection.DevelopmentAccountName};";

    public StorageConnection Connection => StorageConnection.Parse(ConnectionString);

    /// <summary>The CPU time Azurite has used so far, all threads: the difference across a run is the server's share of the work.</summary>
    public TimeSpan ProcessorTime
    {
        get
        {
            process.Refresh();
            return process.TotalProcessorTime;
        }
    }

    /// <summary>Starts Azurite and waits until its blob and table ports accept connections.</summary>
    /// <param name="extraArguments">Further command-line options, e.g. <c>--skipApiVersionCheck</c>.</param>
    /// <exception cref="InvalidOperationException">Azurite is not installed or did not start; the message says why.</exception>
    public static async Task<BenchAzurite> StartAsync(params string[] extraArguments)
    {
        if (Unavailable is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        var ports = TakeFreePorts(3);
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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
            await WaitUntilListeningAsync(ports[0], TimeSpan.FromSeconds(60), process);
            await WaitUntilListeningAsync(ports[1], TimeSpan.FromSeconds(60), process);
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

        return new BenchAzurite(process, ports[0], ports[1]);
    }

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
            // It was told to stop; do not hold the bench up.
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

    /// <summary>Asks the OS for distinct free ports, holding every listener until all are chosen.</summary>
    private static int[] TakeFreePorts(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(l => l.Start());
            return listeners.Select(l => ((IPEndPoint)l.LocalEndpoint).Port).ToArray();
        }
        finally
        {
            listeners.ForEach(l => l.Stop());
        }
    }

    private static async Task WaitUntilListeningAsync(int port, TimeSpan timeout, Process process)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited (code {process.ExitCode}) before listening on port {port}.");
            }

            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"Nothing listened on port {port} within {timeout.TotalSeconds:0} s.");
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        // Not run from the build output (e.g. a published copy): bench/run starts us at the root.
        return Directory.GetCurrentDirectory();
    }
}
