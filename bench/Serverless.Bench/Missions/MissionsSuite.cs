using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Serverless.Functions.Integrations;
using Serverless.Functions.Missions;
using Serverless.Functions.Timers;
using Serverless.Storage.Integrations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Missions;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Missions;

/// <summary>
/// <c>bench/run missions</c>: one <c>MissionsTick</c> over 10,000 and 1,000 missions of which 100 are due,
/// against one Azurite and a local HttpListener receiver. Prints storage round trips per tick and per due
/// mission (counted on the pipeline) and the tick's duration. The point: the cost follows the due
/// missions, not the total.
/// </summary>
internal static class MissionsSuite
{
    private const int Due = 100;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length > 0)
        {
            throw new BenchUsageException("usage: bench/run missions (no options)");
        }

        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        Figures.Progress("starting Azurite");
        await using var azurite = await Azurite.StartAsync();
        using var listener = StartReceiver(out var port);
        foreach (var total in new[] { 10_000, 1_000 })
        {
            await RunOnceAsync(azurite, port, total);
        }

        listener.Stop();
        return 0;
    }

    private static async Task RunOnceAsync(Azurite azurite, int port, int total)
    {
        var counter = new RoundTripCounter();
        var account = azurite.Connect(counter.AddTo);
        var users = account.Tables.GetTableClient(Azurite.UniqueName("mu"));
        var dueTable = account.Tables.GetTableClient(Azurite.UniqueName("md"));
        var payloads = account.Blobs.GetBlobContainerClient(Azurite.UniqueName("mp"));
        await users.CreateIfNotExistsAsync();
        await dueTable.CreateIfNotExistsAsync();
        await payloads.CreateIfNotExistsAsync();
        var missionOptions = Options.Create(new MissionOptions
        {
            AllowedLocalTargets = [$"127.0.0.1:{port}"],
            SecretKeys = new() { ["bench"] = Convert.ToBase64String(new byte[32]) },
            ActiveSecretKeyId = "bench",
        });
        var expiryTable = account.Tables.GetTableClient(Azurite.UniqueName("mx"));
        await expiryTable.CreateIfNotExistsAsync();
        var store = new MissionStore(users, new PayloadStore(payloads), new ExpiryIndex(expiryTable, new SettingsStore(users), new RetentionPolicy(), TimeProvider.System));
        var due = new DueIndexStore(dueTable);
        var protector = new MissionSecretProtector(missionOptions, new BenchEnvironment());
        using var sender = new WebhookSender(missionOptions);
        var integrations = new IntegrationSecrets(new IntegrationStore(users), protector, TimeProvider.System);
        var firing = new MissionFiring(store, due, sender, protector, integrations, missionOptions, TimeProvider.System, NullLogger<MissionFiring>.Instance);
        var job = new MissionsTickJob(due, firing, missionOptions, TimeProvider.System, NullLogger<MissionsTickJob>.Instance);

        Figures.Progress($"seeding {total} missions ({Due} due)");
        var now = DateTimeOffset.UtcNow;
        var definition = new MissionDefinition { Name = "bench", IntervalSeconds = 3600, TimeZone = "UTC", Url = $"http://127.0.0.1:{port}/hook", PayloadJson = "{\"n\":1}" }.ToJson();
        // Seeded in transactions of 100 (one user's missions; one bucket's index rows) so that setup stays quick.
        var missions = Enumerable.Range(0, total).Select(i =>
        {
            var userKey = UserPartition.For($"user{i % 100}").Key;
            var id = $"m{i:D6}";
            // Due ones are a minute late; the rest come in an hour.
            var next = i < Due ? now.AddMinutes(-1) : now.AddHours(1);
            var state = new MissionState { Enabled = true, CreatedAt = now.AddHours(-2), UpdatedAt = now, NextRunAt = next, DueAt = next, SecretCipher = protector.Protect(new byte[32], userKey, id) };
            return (UserKey: userKey, Id: id, State: state, Next: next);
        }).ToList();
        await Parallel.ForEachAsync(missions.GroupBy(m => m.UserKey).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (chunk, ct) =>
            await store.InsertBatchAsync(chunk[0].UserKey, chunk.Select(m => (m.Id, definition, m.State)).ToList(), ct));
        await Parallel.ForEachAsync(missions.GroupBy(m => m.Next).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (chunk, ct) =>
            await due.PutBatchAsync(chunk.Select(m => (m.UserKey, m.Id, m.Next)).ToList(), chunk[0].Next, ct));
        await due.SetCursorAsync(DueIndexStore.BucketOf(now.AddMinutes(-10)), default);

        counter.Reset();
        var watch = Stopwatch.StartNew();
        await job.RunAsync(new TimerInvocation("MissionsTick", now, IsPastDue: false, NextOccurrence: null), default);
        watch.Stop();
        var trips = counter.Reset();
        Figures.Write($"{total} missions, {Due} due: storage round trips per tick", trips);
        Figures.Write($"{total} missions, {Due} due: storage round trips per due mission", trips / (double)Due);
        Figures.Write($"{total} missions, {Due} due: tick duration ms", watch.Elapsed.TotalMilliseconds, "0");

        await job.RunAsync(new TimerInvocation("MissionsTick", now, IsPastDue: false, NextOccurrence: null), default);
        Figures.Write($"{total} missions, none due: storage round trips per tick", counter.Reset());
        await users.DeleteAsync();
        await dueTable.DeleteAsync();
        await expiryTable.DeleteAsync();
        await payloads.DeleteIfExistsAsync();
    }

    private static HttpListener StartReceiver(out int port)
    {
        port = FreePorts.Take(1)[0];
        var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext context;
                try
                {
                    context = await listener.GetContextAsync();
                }
                catch (HttpListenerException)
                {
                    return;
                }
                catch (ObjectDisposedException)
                {
                    return;
                }

                context.Response.StatusCode = 204;
                context.Response.Close();
            }
        });
        return listener;
    }

    private sealed class BenchEnvironment : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "Production";

        public string ApplicationName { get; set; } = "bench";

        public string ContentRootPath { get; set; } = AppContext.BaseDirectory;

        public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
    }
}
