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
/// <c>bench/run portability</c>: export and import throughput of a user with many messages, large texts and artifacts,
/// through the published server as a separate process (its jobs run in the request's share and on its jobs timer),
/// driven by the command-line tool as a process (<c>assistant-backend export -o</c>, <c>assistant-backend import</c>),
/// with the peak working set (VmHWM) of both. Options: <c>--messages N</c> (default 100,000), <c>--blob-mb N</c>
/// (default 100: texts of 1,000,000 characters, stored as compressed blobs, bundled as blob files), <c>--artifact-mb N</c>
/// (default 1,024: artifacts of 8 MiB of random bytes uploaded through the API, bundled as blob files).
/// </summary>
internal static class PortabilitySuite
{
    private const int MiB = 1024 * 1024;

    /// <summary>Messages per seeding append: with their client-id rows and the usage rows, within one transaction (ConversationLimits.MaxAppendRowsWithUsage).</summary>
    private const int PerAppend = ConversationLimits.MaxAppendRowsWithUsage / 2;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var messages = options.GetInt("messages", 100_000, 100, 1_000_000);
        var blobMb = options.GetInt("blob-mb", 100, 0, 2_000);
        var artifactMb = options.GetInt("artifact-mb", 1024, 0, 1024);
        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        Figures.Comment(MachineInfo.Describe());
        var server = await AppPublisher.ServerAsync(force: false);
        var cli = await CliRun.BuildAsync();
        await using var azurite = await Azurite.StartAsync();
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var environment = AppSuite.ServerEnvironment(azurite.ConnectionString, secret);
        environment["Missions__SecretKeys__bench"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        environment["Missions__ActiveSecretKeyId"] = "bench";
        environment["Lifecycle__RequestWorkBudget"] = "00:00:30";
        environment["Lifecycle__JobsSchedule"] = "*/2 * * * * *";
        environment["Lifecycle__JobsRunBudget"] = "00:10:00";
        environment["Artifacts__MaxBytesPerUser"] = (((long)artifactMb + 1) * MiB).ToString(CultureInfo.InvariantCulture);
        await using var process = AppProcess.Start(server, environment);
        (await AppSuite.ReadyClientAsync(process, BenchToken.Mint(secret, "bench-alice"))).Dispose();
        using var alice = Client(process, BenchToken.Mint(secret, "bench-alice"));
        using (var ready = await alice.GetAsync("api/v1/settings/bench/ready"))
        {
            // 404 once storage is bootstrapped (the tables the seeding writes exist then).
            Debug.Assert(ready.StatusCode == System.Net.HttpStatusCode.NotFound, "storage ready");
        }

        var idleWorkingSet = PeakWorkingSet(process.ProcessId);

        Figures.Progress($"seeding {messages:N0} messages, {blobMb} MB of texts and {artifactMb} MiB of artifacts");
        var (rawBytes, blobBytes) = await SeedAsync(azurite, UserPartition.For("bench-alice"), messages, blobMb);
        var artifacts = await SeedArtifactsAsync(alice, artifactMb);
        var afterSeeding = PeakWorkingSet(process.ProcessId);

        Figures.Progress("exporting with the command-line tool");
        var bundle = Path.Combine(Path.GetTempPath(), $"bench-bundle-{Guid.NewGuid():N}.zip");
        var aliceToken = BenchToken.Mint(secret, "bench-alice");
        var export = await CliRun.RunAsync(cli, process.BaseAddress, aliceToken, "export", "-o", bundle, "--wait", "7200");
        if (export.ExitCode != 0)
        {
            throw new InvalidOperationException($"the export failed (exit {export.ExitCode}): {export.Json}");
        }

        var bundleBytes = new FileInfo(bundle).Length;
        var afterExport = PeakWorkingSet(process.ProcessId);

        Figures.Progress("importing into an empty user with the command-line tool");
        var import = await CliRun.RunAsync(cli, process.BaseAddress, BenchToken.Mint(secret, "bench-bob"), "import", bundle, "--wait", "7200");
        File.Delete(bundle);
        var job = import.Json.GetProperty("job");
        long Imported(string kind) => job.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == kind).GetProperty("imported").GetInt64();
        if (import.ExitCode != 0 || Imported("message") != messages + blobMb || (artifacts > 0 && Imported("artifact") != artifacts))
        {
            throw new InvalidOperationException($"the import did not bring everything (exit {import.ExitCode}): {import.Json}");
        }

        var total = messages + blobMb;
        Figures.Comment(string.Create(CultureInfo.InvariantCulture,
            $"one user: {messages:N0} messages of ~200 characters in threads of 1,000, plus {blobMb} messages of 1,000,000 characters (random letters; stored as compressed blobs, bundled as blob files), "
            + $"plus {artifacts} artifacts of up to 8 MiB of random bytes ({artifactMb} MiB, uploaded through the API, stored as they are, bundled as blob files); "
            + $"export = `assistant-backend export -o FILE` (POST /me/export, the job followed, the bundle downloaded and checked), import = `assistant-backend import FILE` "
            + $"(checked, uploaded, the job followed to done), the tool as a process (Release build) against the published server process on Azurite (in memory)"));
        Figures.Write("portability.messages", total);
        Figures.Write("portability.artifacts", artifacts);
        Figures.Write("portability.text_bytes", rawBytes + blobBytes);
        Figures.Write("portability.artifact_bytes", (long)artifactMb * MiB);
        Figures.Write("portability.bundle_bytes", bundleBytes);
        Figures.Write("portability.export_seconds", export.Seconds);
        Figures.Write("portability.export_messages_per_s", total / export.Seconds);
        Figures.Write("portability.export_mb_per_s", bundleBytes / 1e6 / export.Seconds);
        Figures.Write("portability.import_seconds", import.Seconds);
        Figures.Write("portability.import_messages_per_s", total / import.Seconds);
        Figures.Write("portability.import_mb_per_s", bundleBytes / 1e6 / import.Seconds);
        Figures.Write("portability.server_peak_working_set_mb.idle", idleWorkingSet / 1e6);
        Figures.Write("portability.server_peak_working_set_mb.after_seeding", afterSeeding / 1e6);
        Figures.Write("portability.server_peak_working_set_mb.after_export", afterExport / 1e6);
        Figures.Write("portability.server_peak_working_set_mb.after_import", PeakWorkingSet(process.ProcessId) / 1e6);
        Figures.Write("portability.cli_peak_working_set_mb.export", export.PeakWorkingSet / 1e6);
        Figures.Write("portability.cli_peak_working_set_mb.import", import.PeakWorkingSet / 1e6);
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
            for (var done = 0; done < count; done += PerAppend)
            {
                var batch = Enumerable.Range(done, Math.Min(PerAppend, count - done))
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

    /// <summary>Uploads <paramref name="megabytes"/> MiB of artifacts through the API, 8 MiB each (random bytes: incompressible, stored as they are); returns how many.</summary>
    private static async Task<int> SeedArtifactsAsync(HttpClient client, int megabytes)
    {
        const int PerArtifact = 8;
        var count = 0;
        for (var done = 0; done < megabytes; done += PerArtifact)
        {
            using var content = new ByteArrayContent(RandomNumberGenerator.GetBytes(Math.Min(PerArtifact, megabytes - done) * MiB));
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/artifacts") { Content = content };
            request.Headers.Add("Artifact-Kind", "attachment");
            request.Headers.Add("Artifact-Name", $"file-{count:D4}.bin");
            using var response = await client.SendAsync(request);
            if ((int)response.StatusCode != 201)
            {
                throw new InvalidOperationException($"the artifact upload failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
            }

            count++;
        }

        return count;
    }

    private static HttpClient Client(AppProcess process, string token)
    {
        var client = new HttpClient { BaseAddress = process.BaseAddress, Timeout = TimeSpan.FromMinutes(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The server process's peak resident set (VmHWM), in bytes.</summary>
    private static long PeakWorkingSet(int processId) => CliRun.PeakWorkingSet(processId) ?? throw new InvalidOperationException("the server process has exited");
}
