using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Portability;

/// <summary>
/// <c>bench/run portability</c>: export and import throughput of a user with many messages and large texts, through
/// the published server as a separate process (its jobs run in the request's share and on its jobs timer), with the
/// server's peak working set (VmHWM). Options: <c>--messages N</c> (default 100,000), <c>--blob-mb N</c> (default 100:
/// texts of 1,000,000 characters, stored as compressed blobs, bundled as blob files).
/// </summary>
internal static class PortabilitySuite
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var messages = options.GetInt("messages", 100_000, 100, 1_000_000);
        var blobMb = options.GetInt("blob-mb", 100, 0, 2_000);
        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        Figures.Comment(MachineInfo.Describe());
        var server = await AppPublisher.ServerAsync(force: false);
        await using var azurite = await Azurite.StartAsync();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var environment = AppSuite.ServerEnvironment(azurite.ConnectionString, secret);
        environment["Missions__SecretKeys__bench"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        environment["Missions__ActiveSecretKeyId"] = "bench";
        environment["Lifecycle__RequestWorkBudget"] = "00:00:30";
        environment["Lifecycle__JobsSchedule"] = "*/2 * * * * *";
        environment["Lifecycle__JobsRunBudget"] = "00:10:00";
        await using var process = AppProcess.Start(server, environment);
        (await AppSuite.ReadyClientAsync(process, BenchToken.Mint(secret, "bench-alice"))).Dispose();
        using var alice = Client(process, BenchToken.Mint(secret, "bench-alice"));
        using var bob = Client(process, BenchToken.Mint(secret, "bench-bob"));
        using (var ready = await alice.GetAsync("api/v1/settings/bench/ready"))
        {
            // 404 once storage is bootstrapped (the tables the seeding writes exist then).
            Debug.Assert(ready.StatusCode == System.Net.HttpStatusCode.NotFound, "storage ready");
        }

        var idleWorkingSet = PeakWorkingSet(process.ProcessId);

        Figures.Progress($"seeding {messages:N0} messages and {blobMb} MB of texts");
        var (rawBytes, blobBytes) = await SeedAsync(azurite, UserPartition.For("bench-alice"), messages, blobMb);

        Figures.Progress("exporting");
        var watch = Stopwatch.StartNew();
        var export = await RunJobAsync(alice, await alice.PostAsync("api/v1/me/export", null));
        using var download = await alice.GetAsync(export.GetProperty("download").GetString()!.TrimStart('/'), HttpCompletionOption.ResponseHeadersRead);
        var bundle = Path.Combine(Path.GetTempPath(), $"bench-bundle-{Guid.NewGuid():N}.zip");
        await using (var file = File.Create(bundle))
        {
            await (await download.Content.ReadAsStreamAsync()).CopyToAsync(file);
        }

        var exportSeconds = watch.Elapsed.TotalSeconds;
        var bundleBytes = new FileInfo(bundle).Length;
        var afterExport = PeakWorkingSet(process.ProcessId);

        Figures.Progress("importing into an empty user");
        watch.Restart();
        JsonElement import;
        await using (var body = File.OpenRead(bundle))
        {
            using var content = new StreamContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
            import = await RunJobAsync(bob, await bob.PostAsync("api/v1/me/import", content));
        }

        var importSeconds = watch.Elapsed.TotalSeconds;
        File.Delete(bundle);
        var imported = import.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "message").GetProperty("imported").GetInt64();
        if (import.GetProperty("state").GetString() != "done" || imported != messages + (blobMb > 0 ? blobMb : 0))
        {
            throw new InvalidOperationException($"the import did not bring every message: {import}");
        }

        var total = messages + blobMb;
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"one user: {messages:N0} messages of ~200 characters in threads of 1,000, plus {blobMb} messages of 1,000,000 characters (random letters; stored as compressed blobs, bundled as blob files); "
            + $"export = POST /me/export to the downloaded bundle, import = POST /me/import (body streamed) to the job's done, both through the published server process on Azurite (in memory), polled every 0.5 s"));
        Figures.Write("portability.messages", total);
        Figures.Write("portability.text_bytes", rawBytes + blobBytes);
        Figures.Write("portability.bundle_bytes", bundleBytes);
        Figures.Write("portability.export_seconds", exportSeconds);
        Figures.Write("portability.export_messages_per_s", total / exportSeconds);
        Figures.Write("portability.export_mb_per_s", bundleBytes / 1e6 / exportSeconds);
        Figures.Write("portability.import_seconds", importSeconds);
        Figures.Write("portability.import_messages_per_s", total / importSeconds);
        Figures.Write("portability.import_mb_per_s", bundleBytes / 1e6 / importSeconds);
        Figures.Write("portability.server_peak_working_set_mb.idle", idleWorkingSet / 1e6);
        Figures.Write("portability.server_peak_working_set_mb.after_export", afterExport / 1e6);
        Figures.Write("portability.server_peak_working_set_mb.after_import", PeakWorkingSet(process.ProcessId) / 1e6);
        return 0;
    }

    private static async Task<(long Raw, long Blob)> SeedAsync(Azurite azurite, UserPartition user, int messages, int blobMb)
    {
        var table = azurite.Table(AppSuite.UserTable);
        var container = azurite.Container("payloads");
        var clock = TimeProvider.System;
        var settings = new SettingsStore(table);
        var expiry = new ExpiryIndex(azurite.Table("expiry"), settings, RetentionPolicy.Of(TimeSpan.FromDays(30), TimeSpan.Zero), clock);
        var threads = new ThreadStore(table, clock, expiry);
        var store = new MessageStore(table, threads, new PayloadStore(container), clock);
        long raw = 0;
        var perThread = 1000;
        for (var t = 0; t * perThread < messages; t++)
        {
            var id = $"t{t:D5}";
            await threads.CreateAsync(user, ThreadRecord.New(id, $"thread {t}", null, false, false, clock.GetUtcNow(), ThreadLineage.None), null, default);
            var count = Math.Min(perThread, messages - (t * perThread));
            for (var done = 0; done < count; done += 48)
            {
                var batch = Enumerable.Range(done, Math.Min(48, count - done))
                    .Select(i => new NewMessage($"m{i}", i % 2 == 0 ? "user" : "assistant", $"message {i} of thread {t}: " + new string('x', 170), null, "model-a", 10, 20, 0.001, null)).ToList();
                raw += batch.Sum(m => m.Content!.Length);
                await store.AppendAsync(user, id, batch, default);
            }
        }

        long blob = 0;
        if (blobMb > 0)
        {
            await threads.CreateAsync(user, ThreadRecord.New("big", "large texts", null, false, false, clock.GetUtcNow(), ThreadLineage.None), null, default);
            var letters = "abcdefghijklmnopqrstuvwxyz";
            for (var i = 0; i < blobMb; i++)
            {
                var text = new string([.. RandomNumberGenerator.GetBytes(1_000_000).Select(b => letters[b % letters.Length])]);
                blob += text.Length;
                await store.AppendAsync(user, "big", [new NewMessage(null, "tool", text, null, null, null, null, null, null)], default);
            }
        }

        return (raw, blob);
    }

    private static async Task<JsonElement> RunJobAsync(HttpClient client, HttpResponseMessage started)
    {
        var body = await started.Content.ReadAsStringAsync();
        if ((int)started.StatusCode != 202)
        {
            throw new InvalidOperationException($"the job did not start: {(int)started.StatusCode} {body}");
        }

        var location = started.Headers.Location!.ToString().TrimStart('/');
        var job = JsonDocument.Parse(body).RootElement;
        while (job.GetProperty("state").GetString() is not ("done" or "failed"))
        {
            await Task.Delay(500);
            job = JsonDocument.Parse(await client.GetStringAsync(location)).RootElement;
        }

        return job.GetProperty("state").GetString() == "done" ? job : throw new InvalidOperationException($"the job failed: {job}");
    }

    private static HttpClient Client(AppProcess process, string token)
    {
        var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The process's peak resident set (VmHWM), in bytes.</summary>
    private static long PeakWorkingSet(int processId)
    {
        var line = File.ReadLines($"/proc/{processId}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
