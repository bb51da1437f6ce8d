using Serverless.Testing;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Serverless.Storage.Users;

namespace Serverless.Bench.App;

/// <summary>
/// <c>bench/run app</c>: cold start of the published server against an empty ASP.NET Core app
/// published the same way, and a settings GET through the API against the raw table read, all in
/// one run against one Azurite the suite starts itself.
/// </summary>
internal static class AppSuite
{
    private const string UserTable = "benchusers";
    private const string SettingNamespace = "bench";
    private const string SettingKey = "theme";

    private static readonly string[] Known = ["cold-runs", "requests", "warmup", "republish"];

    public static async Task<int> RunAsync(string[] args)
    {
        if (args is ["-h" or "--help"])
        {
            Console.Out.WriteLine(Usage());
            return 0;
        }

        var options = BenchOptions.Parse(args);
        if (options.Names.FirstOrDefault(n => !Known.Contains(n)) is { } unknown)
        {
            throw new BenchUsageException($"unknown option --{unknown}\n{Usage()}");
        }

        var coldRuns = options.GetInt("cold-runs", 10, 1, 100);
        var requests = options.GetInt("requests", 2000, SettingsLatency.Rounds, 1_000_000);
        var warmup = options.GetInt("warmup", 200, 0, 100_000);
        var republish = options.GetInt("republish", 0, 0, 1) == 1;
        var started = Stopwatch.GetTimestamp();

        Figures.Comment(MachineInfo.Describe());
        if (Azurite.Unavailable is { } reason)
        {
            Figures.WriteText("app", $"failed ({reason})");
            return 1;
        }

        PublishedApp server, empty;
        try
        {
            server = await AppPublisher.ServerAsync(republish);
            empty = await AppPublisher.EmptyAppAsync(republish);
        }
        catch (InvalidOperationException e)
        {
            // A working tree that does not build: say so on the figure line rather than with a stack trace.
            Figures.WriteText("app", $"failed ({e.Message})");
            return 1;
        }

        PrintPublished("server", server);
        PrintPublished("empty_app", empty);

        Figures.Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var environment = ServerEnvironment(azurite.ConnectionString, secret);
        var userId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        var token = BenchToken.Mint(secret, userId);
        var path = $"api/v1/settings/{SettingNamespace}/{SettingKey}";

        await SeedAsync(server, environment, path, token);
        await MeasureColdStartsAsync(server, empty, environment, (path, token), coldRuns);
        await MeasureLatencyAsync(server, environment, azurite, path, token, userId, warmup, requests);

        Figures.Comment(string.Create(CultureInfo.InvariantCulture, $"app suite took {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s"));
        return 0;
    }

    /// <summary>Production, as deployed: HMAC tokens (development tokens are refused there), rate limits out of the way.</summary>
    internal static Dictionary<string, string> ServerEnvironment(string connectionString, string secret) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["Storage__ConnectionString"] = connectionString,
        ["Storage__UserTable"] = UserTable,
        ["Auth__HmacSecret"] = secret,
        ["Auth__Issuer"] = BenchToken.Issuer,
        ["Auth__Audience"] = BenchToken.Audience,
        ["Api__CursorSigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Lifecycle__ReceiptKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
        ["Api__RateLimit__PermitsPerMinute"] = "60000000",
        ["Api__RateLimit__Burst"] = "10000000",
    };

    /// <summary>Writes the setting the runs read, through the API; the first start also creates the tables.</summary>
    private static async Task SeedAsync(PublishedApp server, Dictionary<string, string> environment, string path, string token)
    {
        Figures.Progress("seeding the setting through a first server start (not timed)");
        await using var process = AppProcess.Start(server, environment);
        using var client = await ReadyClientAsync(process, token);
        using var put = await client.PutAsJsonAsync(path, new { value = new { mode = "dark", accent = "#ff00aa", fontSize = 14 } });
        if (!put.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"seeding the setting answered {(int)put.StatusCode}: {await put.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task MeasureColdStartsAsync(PublishedApp server, PublishedApp empty, Dictionary<string, string> environment, (string, string) read, int runs)
    {
        var emptyEnvironment = new Dictionary<string, string> { ["ASPNETCORE_ENVIRONMENT"] = "Production" };

        // One untimed start of each first: the files are then in the page cache for every timed run alike.
        await ColdStart.MeasureAsync(empty, emptyEnvironment, null);
        await ColdStart.MeasureAsync(server, environment, read);

        var serverHealth = new LatencySample();
        var serverRead = new LatencySample();
        var emptyHealth = new LatencySample();
        for (var run = 0; run < runs; run++)
        {
            Figures.Progress($"cold start {run + 1}/{runs}");

            // Alternate the order so a slow spell of the machine hits both apps alike.
            if (run % 2 == 0)
            {
                Add(await ColdStart.MeasureAsync(server, environment, read));
                emptyHealth.Add((await ColdStart.MeasureAsync(empty, emptyEnvironment, null)).Health);
            }
            else
            {
                emptyHealth.Add((await ColdStart.MeasureAsync(empty, emptyEnvironment, null)).Health);
                Add(await ColdStart.MeasureAsync(server, environment, read));
            }
        }

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"cold start = process start (apphost, linux-x64 framework-dependent ReadyToRun, Production; the server as its local ASP.NET Core server) to the first 200, polled every {ColdStart.PollInterval.TotalMilliseconds:0} ms; "
            + $"{runs} runs of each app, alternating, after one untimed run of each; the server's includes its storage bootstrap (tables and containers exist already)"));
        Figures.Write("app.cold_start.runs", runs);
        WriteSample("app.cold_start.server_health_ms", serverHealth);
        WriteSample("app.cold_start.server_first_settings_read_ms", serverRead);
        WriteSample("app.cold_start.empty_app_health_ms", emptyHealth);
        Figures.Write("app.cold_start.ratio_server_health_over_empty_p50", serverHealth.Percentile(0.5) / emptyHealth.Percentile(0.5));
        Figures.Write("app.cold_start.ratio_server_first_read_over_empty_p50", serverRead.Percentile(0.5) / emptyHealth.Percentile(0.5));

        void Add(ColdStartRun run)
        {
            serverHealth.Add(run.Health);
            serverRead.Add(run.FirstSettingsRead!.Value);
        }
    }

    private static async Task MeasureLatencyAsync(
        PublishedApp server, Dictionary<string, string> environment, Azurite azurite, string path, string token, string userId, int warmup, int requests)
    {
        Figures.Progress($"settings GET: {warmup} warm-up and {requests} timed requests of each kind (server over HTTP, [Function] in-process, table)");
        await using var process = AppProcess.Start(server, environment);
        using var client = await ReadyClientAsync(process, token);
        await using var function = await InProcessFunction.StartAsync(environment, token);
        var table = azurite.Table(UserTable);
        var (api, invoked, raw) = await SettingsLatency.MeasureAsync(
            client, path, () => function.GetSettingAsync(SettingNamespace, SettingKey), table, UserPartition.For(userId).Key, UserRowKeys.ForSetting(SettingNamespace, SettingKey), warmup, requests);

        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"settings GET = one ~60-byte JSON setting; api = HttpClient -> local server (JWT check, rate limiter, routing, SettingsStore, JSON) -> Azurite; "
            + $"function = SettingsFunctions.GetSetting invoked in this process through the worker middleware (JWT check, rate limiter, SettingsStore, JSON into a DefaultHttpContext; "
            + $"no Functions host can run here, so the host's HTTP front end, proxy and gRPC hop are not in it); table = TableClient.GetAsync of the same row from this process; "
            + $"sequential, keep-alive, {warmup} untimed of each first, then {SettingsLatency.Rounds} rounds rotating the order; server, Azurite and the bench share the machine's cores"));
        Figures.Write("app.settings_get.requests", api.Count);
        WriteSample("app.settings_get.api_ms", api, p95: true);
        WriteSample("app.settings_get.function_ms", invoked, p95: true);
        WriteSample("app.settings_get.table_ms", raw, p95: true);
        Figures.Write("app.settings_get.ratio_api_over_table_p50", api.Percentile(0.5) / raw.Percentile(0.5));
        Figures.Write("app.settings_get.ratio_api_over_table_p95", api.Percentile(0.95) / raw.Percentile(0.95));
        Figures.Write("app.settings_get.ratio_function_over_table_p50", invoked.Percentile(0.5) / raw.Percentile(0.5));
        Figures.Write("app.settings_get.ratio_function_over_table_p95", invoked.Percentile(0.95) / raw.Percentile(0.95));
    }

    internal static async Task<HttpClient> ReadyClientAsync(AppProcess process, string token)
    {
        var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
        {
            try
            {
                using var health = await client.GetAsync("api/health");
                if (health.IsSuccessStatusCode)
                {
                    return client;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(50);
        }

        client.Dispose();
        throw new InvalidOperationException($"the server did not come up:\n{process.Output()}");
    }

    private static void PrintPublished(string name, PublishedApp app)
    {
        Figures.Write($"app.publish.{name}_mb", app.Bytes / 1e6, "0.0");
        Figures.Comment(app.PublishTime is { } time
            ? string.Create(CultureInfo.InvariantCulture, $"{name} published in {time.TotalSeconds:0} s to {app.Directory}")
            : $"{name}: cached publish output reused ({app.Directory}; --republish 1 forces a publish)");
    }

    private static void WriteSample(string name, LatencySample sample, bool p95 = false)
    {
        Figures.Write(name + ".p50", sample.Percentile(0.5), "0.000");
        if (p95)
        {
            Figures.Write(name + ".p95", sample.Percentile(0.95), "0.000");
        }

        Figures.Write(name + ".min", sample.Min, "0.000");
        Figures.Write(name + ".max", sample.Max, "0.000");
    }

    private static string Usage() =>
        "usage: bench/run app [--cold-runs N (10)] [--requests N (2000)] [--warmup N (200)] [--republish 0|1 (0)]\n"
        + "  publishes the server (scripts/publish) and bench/EmptyApp under artifacts/bench/app/ when out of date, starts its own Azurite,\n"
        + "  then prints cold starts (server vs empty app) and settings GET latency (API vs raw table read)";
}
