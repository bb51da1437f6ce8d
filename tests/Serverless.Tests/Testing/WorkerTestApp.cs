using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Serverless.Functions.Hosting;
using Serverless.Functions.Storage;

namespace Serverless.Tests.Testing;

/// <summary>
/// The isolated-worker app in-process without a Functions host: <see cref="WorkerApp.CreateBuilder"/>
/// with the app's real registrations, its <c>WorkerHostedService</c> (the gRPC link to a host) removed
/// before <c>Build()</c> (functions-worker.md), the host never started. The app's own storage
/// bootstrap runs against the run's Azurite. Functions are resolved as the worker does
/// (<see cref="ActivatorUtilities"/> on an invocation scope) and called with a <see cref="DefaultHttpContext"/>
/// request, through <see cref="WorkerApiMiddleware"/> on a <see cref="TestFunctionContext"/>.
/// </summary>
public sealed class WorkerTestApp : IAsyncDisposable
{
    private readonly IHost host;

    private WorkerTestApp(IHost host, IReadOnlyDictionary<string, string?> settings, LogCapture logs)
    {
        this.host = host;
        Settings = settings;
        Logs = logs;
    }

    /// <summary>The worker's root services.</summary>
    public IServiceProvider Services => host.Services;

    /// <summary>The settings the worker was configured with.</summary>
    public IReadOnlyDictionary<string, string?> Settings { get; }

    /// <summary>The lines the app logged, as "Category: message".</summary>
    public LogCapture Logs { get; }

    /// <summary>Builds the worker against <paramref name="azurite"/> with tables of its own and development tokens.</summary>
    public static async Task<WorkerTestApp> StartAsync(Azurite azurite, IDictionary<string, string?>? extra = null, Action<IServiceCollection>? services = null)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:UserTable"] = "wusers" + suffix,
            ["Storage:DueTable"] = "wdue" + suffix,
            ["Storage:ExpiryTable"] = "wexp" + suffix,
            ["Storage:LifecycleTable"] = "wlife" + suffix,
            ["Storage:PayloadContainer"] = "wpayloads" + suffix,
            ["Auth:Development:Enabled"] = "true",
            ["Auth:Development:SigningKey"] = ApiFactory.DevelopmentKey,
            ["Api:CursorSigningKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
            ["Lifecycle:ReceiptKey"] = ApiFactory.ReceiptKey,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        // As the host would give them: the environment in AZURE_FUNCTIONS_ENVIRONMENT (Core Tools sets Development;
        // every worker test wants the same), app settings here on the command line.
        Environment.SetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT", "Development");
        string[] args = [.. settings.Select(s => $"--{s.Key}={s.Value}")];
        var builder = WorkerApp.CreateBuilder(args);
        foreach (var worker in builder.Services.Where(d => d.ImplementationType?.Name == "WorkerHostedService").ToList())
        {
            builder.Services.Remove(worker);
        }

        services?.Invoke(builder.Services);
        var logs = new LogCapture();
        builder.Logging.AddProvider(logs);
        var app = new WorkerTestApp(builder.Build(), settings, logs);

        // The app's own bootstrap creates the tables and containers and marks storage ready.
        foreach (var bootstrap in app.Services.GetServices<IHostedService>().Where(s => s.GetType().Name == "StorageBootstrap"))
        {
            await bootstrap.StartAsync(CancellationToken.None);
        }

        await app.Services.GetRequiredService<StorageReadiness>().Ready.WaitAsync(TimeSpan.FromSeconds(30));
        return app;
    }

    /// <summary>An HTTP request for a function: method, path (for the record), JSON body, bearer token for <paramref name="userId"/>.</summary>
    public static DefaultHttpContext Request(string method, string path, string? json = null, string? userId = null, IDictionary<string, string>? headers = null)
    {
        var http = new DefaultHttpContext();
        http.Request.Method = method;
        http.Request.Scheme = "http";
        http.Request.Host = new HostString("localhost");
        var query = path.IndexOf('?', StringComparison.Ordinal);
        http.Request.Path = query < 0 ? path : path[..query];
        http.Request.QueryString = query < 0 ? QueryString.Empty : new QueryString(path[query..]);
        if (json is not null)
        {
            var bytes = Encoding.UTF8.GetBytes(json);
            http.Request.Body = new MemoryStream(bytes);
            http.Request.ContentLength = bytes.Length;
            http.Request.ContentType = "application/json";
        }

        if (userId is not null)
        {
            http.Request.Headers.Authorization = "Bearer " + ApiFactory.TokenFor(userId);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            http.Request.Headers[name] = value;
        }

        http.Response.Body = new MemoryStream();
        return http;
    }

    /// <summary>
    /// Invokes function <paramref name="functionName"/> of class <typeparamref name="TFunctions"/> as the worker
    /// would: a scope for the invocation, the class resolved on it, <see cref="WorkerApiMiddleware"/> around the
    /// call, the returned <see cref="IResult"/> executed into the response (the HTTP integration's job).
    /// </summary>
    public async Task<TestResponse> InvokeAsync<TFunctions>(string functionName, HttpContext http, Func<TFunctions, HttpRequest, Task<IResult>> call)
        where TFunctions : class
    {
        await using var scope = Services.CreateAsyncScope();
        http.RequestServices = scope.ServiceProvider;
        var context = new TestFunctionContext(functionName, WorkerApiMiddleware.HttpTriggerType, scope.ServiceProvider, http);
        var middleware = scope.ServiceProvider.GetRequiredService<WorkerApiMiddleware>();
        await middleware.Invoke(context, async _ =>
        {
            var functions = ActivatorUtilities.CreateInstance<TFunctions>(scope.ServiceProvider);
            var result = await call(functions, http.Request);
            await result.ExecuteAsync(http);
        });
        return await TestResponse.ReadAsync(http);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in Services.GetServices<IHostedService>().Where(s => s.GetType().Name == "StorageBootstrap"))
        {
            await service.StopAsync(CancellationToken.None);
        }

        host.Dispose();
    }
}

/// <summary>What a function answered.</summary>
public sealed record TestResponse(int Status, IHeaderDictionary Headers, string Body)
{
    /// <summary>Reads the response written into <paramref name="http"/>.</summary>
    public static async Task<TestResponse> ReadAsync(HttpContext http)
    {
        http.Response.Body.Position = 0;
        var body = await new StreamReader(http.Response.Body).ReadToEndAsync();
        return new TestResponse(http.Response.StatusCode, http.Response.Headers, body);
    }

    /// <summary>The body as JSON.</summary>
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Status} {Body}");
}

/// <summary>Captures the app's log lines at <paramref name="minimum"/> and above (Information unless told).</summary>
public sealed class LogCapture(LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    private readonly List<string> lines = [];
    private readonly LogLevel minimum = minimum;

    /// <summary>The captured lines.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= capture.minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (capture.lines)
            {
                capture.lines.Add(exception is null ? $"{category}: {formatter(state, exception)}" : $"{category}: {formatter(state, exception)} | {exception}");
            }
        }
    }
}
