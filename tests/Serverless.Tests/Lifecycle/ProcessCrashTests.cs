using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Functions.Lifecycle;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// The app as real processes killed (SIGKILL) in the middle of a retention sweep and of an erasure, then started
/// again: its timers finish the work, and a raw scan shows nothing lost that should stay and nothing left that
/// should go. The window is made wide by data volume (thousands of rows), not by any hook in the app.
/// </summary>
public sealed class ProcessCrashTests : IAsyncLifetime
{
    private const string Yearly = "0 0 0 1 1 *";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(120);
    private LifecycleWorld world = null!;
    private ManualClock clock = null!;

    public async Task InitializeAsync()
    {
        // The data is written by the test with a clock 41 days back, so deleted threads are past the 30-day window for the app's real clock.
        clock = new ManualClock(DateTimeOffset.UtcNow.AddDays(-41));
        world = await LifecycleWorld.CreateAsync(clock, RetentionPolicy.Of(TimeSpan.FromDays(30), TimeSpan.Zero));
    }

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task ASweepKilledMidway_IsFinishedByTheRestartedServersTimer_AndOnlyWhatIsDueIsGone()
    {
        var user = UserPartition.For("sweeper");
        for (var t = 0; t < 40; t++)
        {
            await ThreadAsync(user, $"d{t}", 100);
            await world.Threads.UpdateAsync(user, $"d{t}", null, (thread, at) => thread with { DeletedAt = at }, default);
        }

        for (var t = 0; t < 3; t++)
        {
            await ThreadAsync(user, $"live{t}", 60);
        }

        var keep = (await UserWorkload.RowsAsync(world, user)).Select(r => r.RowKey).Where(k => !k.Contains("|d", StringComparison.Ordinal) && !k.EndsWith("|d", StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);
        var keepBlobs = (await UserWorkload.BlobsAsync(world, user)).Where(b => b.Contains("/msg/live", StringComparison.Ordinal)).ToList();
        var total = (await UserWorkload.RowsAsync(world, user)).Count;
        Assert.True(total > 4000);

        // The operator's sweep, killed once it has deleted some but not all.
        var command = ServerProcess.StartCommand(Environment(), AdminCommand.Name, "retention-sweep");
        var remaining = await KillWhenAsync(command, async () =>
        {
            var rows = await CountRowsAsync(user);
            return rows < total - 500 ? rows : (int?)null;
        });
        Assert.True(remaining > keep.Count, $"the sweep had finished ({remaining} rows left) before it was killed: raise the data volume");

        // The restarted server's RetentionSweep timer finishes it.
        await using (var server = await ServerProcess.StartAsync(Environment(("Lifecycle__RetentionSchedule", "*/2 * * * * *"))))
        {
            await WaitForAsync(async () => await CountRowsAsync(user) == keep.Count && (await world.Storage.Expiry.ReadAllAsync()).All(e => e.PartitionKey == "cursor"), server);
            using var client = Client(server, user.UserId);
            var message = JsonDocument.Parse(await client.GetStringAsync("/api/v1/threads/live1/messages/20")).RootElement;
            Assert.Equal(UserWorkload.Large, message.GetProperty("content").GetString());
        }

        Assert.Equal(keep.Order(StringComparer.Ordinal), (await UserWorkload.RowsAsync(world, user)).Select(r => r.RowKey).Order(StringComparer.Ordinal));
        Assert.Equal(keepBlobs.Order(StringComparer.Ordinal), (await UserWorkload.BlobsAsync(world, user)).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AnErasureKilledMidway_IsFinishedByTheRestartedServersJobsTimer_AndNothingOfTheUserIsLeft()
    {
        clock.Now = DateTimeOffset.UtcNow;
        var victim = UserPartition.For("victim@example.com");
        var bystander = UserPartition.For("bystander@example.com");
        await UserWorkload.FillAsync(world, victim);
        for (var t = 0; t < 40; t++)
        {
            await ThreadAsync(victim, $"bulk{t}", 100);
        }

        await UserWorkload.FillAsync(world, bystander);
        var bystanderRows = (await UserWorkload.RowsAsync(world, bystander)).Select(r => r.RowKey).ToList();
        var bystanderBlobs = await UserWorkload.BlobsAsync(world, bystander);
        var usage = await world.Usage.ComputeAsync(victim, default);

        // DELETE /me on a server whose request may work 30 s and whose jobs timer never fires: killed once rows are going.
        var first = await ServerProcess.StartAsync(Environment(("Lifecycle__RequestWorkBudget", "00:00:30"), ("Lifecycle__JobsSchedule", Yearly)));
        using var doomed = Client(first, victim.UserId);
        var request = doomed.DeleteAsync("/api/v1/me");
        await KillWhenAsync(first, async () =>
            await world.Storage.Jobs.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"erasure"}")) is [var job] && KindTally.FromJson(job.GetString("Erased")).ToList().Sum(k => k.Rows) >= 500 ? 1 : null);
        await Assert.ThrowsAnyAsync<Exception>(() => request);
        var unfinished = Assert.Single(await world.Storage.Jobs.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"erasure"}")));
        Assert.NotEqual(ErasureJobs.DonePhase, unfinished.GetString("Phase"));
        Assert.NotEmpty(await UserWorkload.RowsAsync(world, victim));

        // Restarted, with the jobs timer every 2 s: it resumes the job from the queue.
        await using (var second = await ServerProcess.StartAsync(Environment(("Lifecycle__JobsSchedule", "*/2 * * * * *"))))
        {
            using var client = Client(second, victim.UserId);
            JsonElement receipt = default;
            await WaitForAsync(async () =>
            {
                receipt = JsonDocument.Parse(await client.GetStringAsync("/api/v1/me/erasure")).RootElement;
                return receipt.GetProperty("state").GetString() == "done";
            }, second);

            var erased = receipt.GetProperty("erased").EnumerateArray().Where(k => !k.GetProperty("kind").GetString()!.StartsWith("index.", StringComparison.Ordinal)).ToList();
            Assert.Equal(usage.Rows, erased.Sum(k => k.GetProperty("rows").GetInt64()));
            Assert.Equal(usage.RowBytes, erased.Sum(k => k.GetProperty("rowBytes").GetInt64()));
            Assert.Equal(usage.Blobs, erased.Sum(k => k.GetProperty("blobs").GetInt64()));
            Assert.Equal(usage.BlobBytes, erased.Sum(k => k.GetProperty("blobBytes").GetInt64()));
        }

        Assert.Empty(await TracesAsync(victim));
        Assert.Equal(bystanderRows, (await UserWorkload.RowsAsync(world, bystander)).Select(r => r.RowKey).ToList());
        Assert.Equal(bystanderBlobs, await UserWorkload.BlobsAsync(world, bystander));
    }

    [Fact]
    public async Task TheAdminCommand_AsARealProcess_IsRefusedUnderAHold_ThenErasesAndPrintsTheReceipt()
    {
        var user = UserPartition.For("operator-case");
        await UserWorkload.FillAsync(world, user);
        var environment = Environment();

        var placed = await ServerProcess.RunCommandAsync(environment, Patience, AdminCommand.Name, "hold", "place", user.UserId, "--reason", "case 9");
        var refused = await ServerProcess.RunCommandAsync(environment, Patience, AdminCommand.Name, "erase", user.UserId);
        var released = await ServerProcess.RunCommandAsync(environment, Patience, AdminCommand.Name, "hold", "release", user.UserId);
        var erased = await ServerProcess.RunCommandAsync(environment, Patience, AdminCommand.Name, "erase", user.UserId);

        Assert.True(placed.ExitCode == 0, placed.StandardError);
        Assert.Equal(3, refused.ExitCode);
        Assert.Contains("legal hold", refused.StandardError, StringComparison.Ordinal);
        Assert.True(released.ExitCode == 0, released.StandardError);
        Assert.True(erased.ExitCode == 0, erased.StandardError);
        Assert.Equal("done", JsonDocument.Parse(erased.StandardOutput).RootElement.GetProperty("state").GetString());
        Assert.Empty(await TracesAsync(user));
    }

    /// <summary>A thread of <paramref name="messages"/> messages, every 20th offloaded to a blob.</summary>
    private async Task ThreadAsync(UserPartition user, string id, int messages)
    {
        await world.Threads.CreateAsync(user, ThreadRecord.New(id, id, null, false, false, clock.Now, ThreadLineage.None), null, default);
        var batch = Enumerable.Range(1, messages).Select(i => UserWorkload.Message(null, i % 20 == 0 ? UserWorkload.Large : $"{id} {i}")).ToList();
        foreach (var chunk in batch.Chunk(50))
        {
            await world.Messages.AppendAsync(user, id, chunk, default);
        }
    }

    /// <summary>The app's settings over the world's tables and container (Development, its development tokens).</summary>
    private Dictionary<string, string?> Environment(params (string Name, string Value)[] extra)
    {
        var environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = Azurite.Shared.Result.ConnectionString,
            ["Storage__UserTable"] = world.Storage.Users.Name,
            ["Storage__ExpiryTable"] = world.Storage.Expiry.Name,
            ["Storage__LifecycleTable"] = world.Storage.Jobs.Name,
            ["Storage__DueTable"] = world.Storage.MissionDue.Name,
            ["Storage__PayloadContainer"] = world.Storage.Payloads.Name,
            ["Auth__Development__Enabled"] = "true",
            ["Auth__Development__SigningKey"] = ApiFactory.DevelopmentKey,
            ["Lifecycle__ReceiptKey"] = ApiFactory.ReceiptKey,
            ["Lifecycle__JobsSchedule"] = Yearly,
            ["Lifecycle__OrphanSweepSchedule"] = Yearly,
            ["Lifecycle__RetentionSchedule"] = Yearly,
            ["Missions__TickSchedule"] = Yearly,
        };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }

        return environment;
    }

    private static HttpClient Client(ServerProcess server, string userId)
    {
        var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(userId));
        return client;
    }

    private async Task<int> CountRowsAsync(UserPartition user) =>
        (await world.Storage.Users.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), ["RowKey"])).Count;

    /// <summary>Polls <paramref name="probe"/> until it has a value, then kills <paramref name="process"/> (SIGKILL).</summary>
    private static async Task<int> KillWhenAsync(ServerProcess process, Func<Task<int?>> probe)
    {
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < Patience)
        {
            if (await probe() is { } value)
            {
                await process.KillAsync();
                return value;
            }

            Assert.False(process.HasExited, "The process ended before it could be killed:\n" + process.Output);
            await Task.Delay(20);
        }

        await process.KillAsync();
        throw new TimeoutException("The work did not get under way:\n" + process.Output);
    }

    private static async Task WaitForAsync(Func<Task<bool>> done, ServerProcess server)
    {
        var watch = Stopwatch.StartNew();
        while (!await done())
        {
            Assert.True(watch.Elapsed < Patience, "The restarted server did not finish the work:\n" + server.Output);
            await Task.Delay(250);
        }
    }

    /// <summary>Every trace of the user in every table and the container, by a raw scan.</summary>
    private async Task<List<string>> TracesAsync(UserPartition user)
    {
        var traces = new List<string>();
        foreach (var table in new[] { world.Storage.Users, world.Storage.Expiry, world.Storage.Jobs, world.Storage.MissionDue })
        {
            foreach (var row in await table.ReadAllAsync())
            {
                var text = row.PartitionKey + "\n" + row.RowKey + "\n" + string.Join("\n", row.Where(p => !EntityLimits.IsReserved(p.Key)).Select(p => p.Value?.ToString()));
                if (text.Contains(user.Key, StringComparison.Ordinal) || text.Contains(user.UserId, StringComparison.OrdinalIgnoreCase))
                {
                    traces.Add($"{table.Name}: {row.PartitionKey} / {row.RowKey}");
                }
            }
        }

        traces.AddRange((await world.Storage.Payloads.ListNamesAsync(string.Empty)).Where(n => n.Contains(user.Key, StringComparison.Ordinal)));
        return traces;
    }
}
