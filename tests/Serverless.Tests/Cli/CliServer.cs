using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Serverless.Cli;
using Serverless.Functions.Identity;
using Serverless.Tests.Testing;
using Spectre.Console;

namespace Serverless.Tests.Cli;

/// <summary>
/// The app as a real local server process (its own tables and container on the run's Azurite) for the command-line
/// tool's end-to-end tests, with development tokens signed by the key of the server's own
/// <c>appsettings.Development.json</c>, so the tool's <c>login --dev-user</c> (the server's <c>mint-token</c>) works too.
/// </summary>
public sealed class CliServer : IAsyncLifetime
{
    private ServerProcess? server;

    /// <summary>The server's base address, as <c>login --url</c> takes it.</summary>
    public string Url => server!.BaseAddress.ToString().TrimEnd('/');

    /// <summary>The signing key of the server's <c>appsettings.Development.json</c> (what <c>mint-token</c> signs with).</summary>
    public static string DevelopmentKey { get; } = ReadDevelopmentKey();

    /// <summary>The user table the server writes to.</summary>
    public string UserTable { get; } = "cliusers" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>The blob container the server writes to.</summary>
    public string PayloadContainer { get; } = "clipayloads" + Guid.NewGuid().ToString("N")[..10];

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        var suffix = Guid.NewGuid().ToString("N")[..10];
        server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = azurite.ConnectionString,
            ["Storage__UserTable"] = UserTable,
            ["Storage__ExpiryTable"] = "cliexp" + suffix,
            ["Storage__LifecycleTable"] = "clilife" + suffix,
            ["Storage__DueTable"] = "clidue" + suffix,
            ["Storage__PayloadContainer"] = PayloadContainer,
            ["Lifecycle__ReceiptKey"] = ApiFactory.ReceiptKey,
            // Jobs the request could not finish (exports, imports, reports) are picked up within seconds, not at second 30 of the minute.
            ["Lifecycle__JobsSchedule"] = "*/2 * * * * *",
        });
    }

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    /// <summary>A token the server accepts for <paramref name="userId"/>.</summary>
    public static string TokenFor(string userId) =>
        DevelopmentTokens.Mint(new DevelopmentTokenOptions { Enabled = true, SigningKey = DevelopmentKey }, userId, TimeProvider.System);

    /// <summary>A plain HTTP client of the server as <paramref name="userId"/> (to set up and check data beside the tool).</summary>
    public HttpClient ClientFor(string userId)
    {
        var client = server!.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(userId));
        return client;
    }

    private static string ReadDevelopmentKey()
    {
        using var settings = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "appsettings.Development.json")));
        return settings.RootElement.GetProperty("Auth").GetProperty("Development").GetProperty("SigningKey").GetString()!;
    }
}

/// <summary>How one run of the tool ended: exit code, stdout (tables or the JSON document) and stderr.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout as the one JSON document <c>--json</c> promises.</summary>
    public JsonElement Json
    {
        get
        {
            using var document = JsonDocument.Parse(Stdout);
            return document.RootElement.Clone();
        }
    }

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
}

/// <summary>Runs the tool in-process with its own config file and captured consoles (the HTTP calls are real).</summary>
public sealed class CliRunner : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), "cli-test-" + Guid.NewGuid().ToString("N"));

    public CliRunner() => Directory.CreateDirectory(folder);

    /// <summary>The config file every run of this runner uses.</summary>
    public string ConfigPath => Path.Combine(folder, "config", "config.json");

    /// <summary>A scratch folder for the test's files.</summary>
    public string Folder => folder;

    /// <summary>How long one run may take (a loaded machine's slowest runs take seconds).</summary>
    private static TimeSpan RunTimeout { get; } = TimeSpan.FromMinutes(5);

    /// <summary>Runs <c>assistant-backend {args} --config {ConfigPath}</c>; <paramref name="input"/> is what stdin holds.</summary>
    public async Task<CliRun> RunAsync(string[] args, string input = "", bool interactive = false, IReadOnlyDictionary<string, string>? environment = null)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(stdout),
        });
        console.Profile.Width = 240;
        var context = new CliContext
        {
            Console = console,
            JsonOut = stdout,
            Error = stderr,
            Input = new StringReader(input),
            InputIsInteractive = interactive,
            Environment = name => environment is not null && environment.TryGetValue(name, out var value) ? value : null,
        };
        int code;
        try
        {
            // A run that does not end fails its test within minutes, with what it printed, instead of holding the suite for the tool's own --wait.
            code = await CliApp.RunAsync([.. args, "--config", ConfigPath], context).WaitAsync(RunTimeout);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"assistant-backend {string.Join(' ', args)} did not end in {RunTimeout.TotalMinutes} minutes. It printed:\n{stdout}\n{stderr}", e);
        }

        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    public Task<CliRun> RunAsync(params string[] args) => RunAsync(args, string.Empty);

    public void Dispose()
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
