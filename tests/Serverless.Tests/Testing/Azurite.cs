using System.Diagnostics;
using System.Text;
using Serverless.Storage;

namespace Serverless.Tests.Testing;

/// <summary>
/// One real Azurite process for the whole test run: the npm package pinned in package.json,
/// started on free ports with in-memory persistence, stopped when the test process exits.
/// Tests isolate themselves with a unique table or container name each.
/// </summary>
public sealed class Azurite
{
    private static readonly Lazy<Task<Azurite>> SharedInstance = new(StartAsync);
    private Azurite(int blobPort, int tablePort)
    {
        BlobPort = blobPort;
        TablePort = tablePort;
    }

    /// <summary>The run's Azurite, started on first use.</summary>
    public static Task<Azurite> Shared => SharedInstance.Value;

    /// <summary>The blob service port.</summary>
    public int BlobPort { get; }

    /// <summary>The table service port.</summary>
    public int TablePort { get; }

    /// <summary>A Shared Key connection string with path-style endpoints, as Azurite wants.</summary>
    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={StorageConnection.DevelopmentAccountName};" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{StorageConnection.DevelopmentAccountName};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{StorageConnection.DevelopmentAccountName};";

    /// <summary>The parsed connection.</summary>
    public StorageConnection Connection => StorageConnection.Parse(ConnectionString);

    /// <summary>A table or container name no other test uses: letters and digits, starting with a letter.</summary>
    public static string UniqueName(string prefix) => (prefix + Guid.NewGuid().ToString("N"))[..Math.Min(prefix.Length + 32, 63)].ToLowerInvariant();

    private static async Task<Azurite> StartAsync()
    {
        if (!File.Exists(RepositoryPaths.Azurite))
        {
            throw new InvalidOperationException($"Azurite is not installed at {RepositoryPaths.Azurite}: run 'npm ci' in {RepositoryPaths.Root} (scripts/test does).");
        }

        var ports = FreePorts.Take(3);
        var start = new ProcessStartInfo(RepositoryPaths.Azurite)
        {
            WorkingDirectory = Path.GetTempPath(),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
        {
            "--inMemoryPersistence", "--silent", "--disableTelemetry",
            "--blobHost", "127.0.0.1", "--blobPort", ports[0].ToString(),
            "--tableHost", "127.0.0.1", "--tablePort", ports[1].ToString(),
            "--queueHost", "127.0.0.1", "--queuePort", ports[2].ToString(),
            // Azurite closes idle keep-alive connections after 5 s by default, racing the client's pool.
            "--blobKeepAliveTimeout", "300", "--tableKeepAliveTimeout", "300",
        })
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
        catch (Exception e)
        {
            Stop(process);
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"Azurite failed to start: {e.Message}\n{log}", e);
        }

        return new Azurite(ports[0], ports[1]);
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
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }
}
