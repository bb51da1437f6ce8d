using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Serverless.Tests.Testing;

/// <summary>
/// The app as a real process serving as the local server: the test build's Serverless.Functions.dll
/// on a free loopback port, ready when <c>/api/health</c> answers. Also runs its one-shot commands.
/// Killed (with its children) on dispose.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    /// <summary>How often <c>/api/health</c> is polled while the server comes up.</summary>
    public static readonly TimeSpan ReadinessPollInterval = TimeSpan.FromMilliseconds(25);

    private readonly Process process;
    private readonly StringBuilder output;

    private ServerProcess(Process process, StringBuilder output, int port, TimeSpan timeToReady)
    {
        this.process = process;
        this.output = output;
        Port = port;
        TimeToReady = timeToReady;
    }

    /// <summary>The server the test build copied next to the tests (the project reference brings its deps and runtimeconfig).</summary>
    public static string ServerAssembly => Path.Combine(AppContext.BaseDirectory, "Serverless.Functions.dll");

    /// <summary>The operating system's id of the server process (for its /proc/&lt;pid&gt;/status).</summary>
    public int ProcessId => process.Id;

    /// <summary>The port the server was told to listen on.</summary>
    public int Port { get; }

    /// <summary>From process start to the first 200 on <c>/api/health</c>.</summary>
    public TimeSpan TimeToReady { get; }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    /// <summary>Everything the server wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts the server on a free loopback port and waits until <c>/api/health</c> answers 200.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan? readinessTimeout = null)
    {
        var port = FreePorts.Take(1)[0];
        var start = StartInfo(environment);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

        var output = new StringBuilder();
        var started = Stopwatch.StartNew();
        var process = Process.Start(start) ?? throw new InvalidOperationException("The server did not start.");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var server = new ServerProcess(process, output, port, TimeSpan.Zero);
        try
        {
            var ready = await WaitUntilReadyAsync(process, port, readinessTimeout ?? TimeSpan.FromSeconds(60), started);
            return new ServerProcess(process, output, port, ready);
        }
        catch (Exception e)
        {
            // Whatever went wrong, the process must not outlive the test.
            await server.DisposeAsync();
            throw new InvalidOperationException($"{e.Message}\nServer output:\n{server.Output}", e);
        }
    }

    /// <summary>Runs a one-shot command of the server (<c>mint-token</c>) to completion.</summary>
    public static async Task<CommandResult> RunCommandAsync(IReadOnlyDictionary<string, string?> environment, TimeSpan timeout, params string[] arguments)
    {
        var start = StartInfo(environment);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("The server did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{string.Join(' ', arguments)}' did not finish within {timeout.TotalSeconds:0} s: {await stdout}{await stderr}");
        }

        return new CommandResult(process.ExitCode, await stdout, await stderr, watch.Elapsed);
    }

    /// <summary>Starts a one-shot command of the server without waiting for it (to kill it midway).</summary>
    public static ServerProcess StartCommand(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var start = StartInfo(environment);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var output = new StringBuilder();
        var process = Process.Start(start) ?? throw new InvalidOperationException("The command did not start.");
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new ServerProcess(process, output, 0, TimeSpan.Zero);
    }

    /// <summary>Whether the process has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Kills the process and its children at once (SIGKILL: no shutdown, no finally blocks), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>A client for the server; no automatic redirects.</summary>
    public HttpClient CreateClient() => new(new SocketsHttpHandler { AllowAutoRedirect = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    /// <summary>Kills the server and its children.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        process.Dispose();
    }

    private static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string?> environment)
    {
        // The dotnet that runs the tests (the SDK sets DOTNET_HOST_PATH for test runs).
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            // The content root, where appsettings*.json are read from, is the working directory.
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ServerAssembly);

        // Nothing from the test runner's own environment may steer the server: only what the test sets.
        foreach (var name in start.Environment.Keys.ToList())
        {
            if (name.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || name.StartsWith("DOTNET_URLS", StringComparison.Ordinal)
                || name.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal) || name.StartsWith("FUNCTIONS_", StringComparison.Ordinal)
                || name.StartsWith("Storage__", StringComparison.Ordinal) || name.StartsWith("Auth__", StringComparison.Ordinal)
                || name.StartsWith("Api__", StringComparison.Ordinal) || name.StartsWith("Missions__", StringComparison.Ordinal)
                || name.StartsWith("Lifecycle__", StringComparison.Ordinal) || name.StartsWith("Conversations__", StringComparison.Ordinal)
                || name == "AzureWebJobsStorage")
            {
                start.Environment.Remove(name);
            }
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Polls <c>/api/health</c> until it answers 200; a refused connection means wait.</summary>
    private static async Task<TimeSpan> WaitUntilReadyAsync(Process process, int port, TimeSpan timeout, Stopwatch started)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        var probe = new Uri($"http://127.0.0.1:{port}/api/health");
        while (started.Elapsed < timeout)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"The server exited with code {process.ExitCode} before it was ready.");
            }

            try
            {
                using var response = await client.GetAsync(probe);
                if (response.IsSuccessStatusCode)
                {
                    return started.Elapsed;
                }
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
            }
            catch (TaskCanceledException)
            {
                // A first answer slower than the client's timeout (a loaded machine): ask again until the deadline.
            }

            await Task.Delay(ReadinessPollInterval);
        }

        throw new TimeoutException($"The server did not answer /api/health within {timeout.TotalSeconds:0} s.");
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}

/// <summary>How a one-shot command of the server ended.</summary>
public sealed record CommandResult(int ExitCode, string StandardOutput, string StandardError, TimeSpan Elapsed);
