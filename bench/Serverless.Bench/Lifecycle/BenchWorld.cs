using System.Text;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Payloads;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Lifecycle;

/// <summary>A clock the lifecycle bench moves by hand (retention windows pass in no time).</summary>
internal sealed class BenchClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}

/// <summary>Tables and a container of their own on the bench's Azurite, the stores and lifecycle services over them, and a round-trip counter on every client.</summary>
internal sealed class BenchWorld
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private BenchWorld(Azurite azurite)
    {
        var account = azurite.Connect(Counter.AddTo);
        Storage = new LifecycleStorage(
            account.Tables.GetTableClient(Azurite.UniqueName("bu")),
            account.Tables.GetTableClient(Azurite.UniqueName("be")),
            account.Tables.GetTableClient(Azurite.UniqueName("bj")),
            account.Tables.GetTableClient(Azurite.UniqueName("bd")),
            account.Blobs.GetBlobContainerClient(Azurite.UniqueName("bp")));
        var settings = new SettingsStore(Storage.Users);
        Expiry = new ExpiryIndex(Storage.Expiry, settings, RetentionPolicy.Of(TimeSpan.FromDays(30), TimeSpan.Zero), Clock);
        var payloads = new PayloadStore(Storage.Payloads);
        Threads = new ThreadStore(Storage.Users, Clock, Expiry);
        Messages = new MessageStore(Storage.Users, Threads, payloads, Clock);
        Missions = new MissionStore(Storage.Users, payloads, Expiry);
        Idempotency = new IdempotencyStore(Storage.Users, Clock, Expiry);
        Sweep = new RetentionSweep(Storage, Expiry);
        Erasure = new ErasureJobs(Storage, Clock, new UserKeyHash(new byte[32]));
        Usage = new UsageReports(Storage, Clock);
    }

    public RoundTripCounter Counter { get; } = new();

    public BenchClock Clock { get; } = new(Start);

    public LifecycleStorage Storage { get; }

    public ExpiryIndex Expiry { get; }

    public ThreadStore Threads { get; }

    public MessageStore Messages { get; }

    public MissionStore Missions { get; }

    public IdempotencyStore Idempotency { get; }

    public RetentionSweep Sweep { get; }

    public ErasureJobs Erasure { get; }

    public UsageReports Usage { get; }

    public static async Task<BenchWorld> CreateAsync(Azurite azurite)
    {
        var world = new BenchWorld(azurite);
        await Task.WhenAll(
            world.Storage.Users.CreateIfNotExistsAsync(),
            world.Storage.Expiry.CreateIfNotExistsAsync(),
            world.Storage.Jobs.CreateIfNotExistsAsync(),
            world.Storage.MissionDue.CreateIfNotExistsAsync(),
            world.Storage.Payloads.CreateIfNotExistsAsync());
        return world;
    }

    /// <summary>
    /// Threads <c>{prefix}0</c>… of 97 messages each (one transaction), so each thread is 100 rows with its list rows;
    /// every <paramref name="offloadEvery"/>th message long enough to go to a blob (0: none).
    /// </summary>
    public async Task SeedThreadsAsync(UserPartition user, string prefix, int threads, int offloadEvery)
    {
        var text = new string('x', 200);
        var large = new string('L', ConversationLimits.InlineMaxChars + 1);
        await Parallel.ForEachAsync(Enumerable.Range(0, threads), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var id = $"{prefix}{i}";
            await Threads.CreateAsync(user, ThreadRecord.New(id, id, null, false, false, Clock.Now, ThreadLineage.None), null, ct);
            var batch = Enumerable.Range(1, ConversationLimits.MaxAppendRows)
                .Select(n => new NewMessage(null, "user", offloadEvery > 0 && n % offloadEvery == 0 ? large : text, null, null, null, null, null, null))
                .ToList();
            await Messages.AppendAsync(user, id, batch, ct);
        });
    }

    /// <summary>A mission with <paramref name="runs"/> run rows, every tenth with a stored response body.</summary>
    public async Task SeedMissionAsync(UserPartition user, string missionId, int runs)
    {
        await Missions.InsertAsync(user.Key, missionId, "{}", new MissionState { CreatedAt = Clock.Now }, null, default);
        await Parallel.ForEachAsync(Enumerable.Range(0, runs), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var at = Clock.Now.AddSeconds(i);
            var body = i % 10 == 0 ? await Missions.SaveResponseAsync(user.Key, missionId, Encoding.UTF8.GetBytes(new string('r', 4000)), "text/plain", ct) : null;
            await Missions.AddRunAsync(user.Key, new MissionRunRecord(missionId, MissionStore.NewRunId(at), "f", at, at, 1, 5, "succeeded", 200, null, "ok", false, 4000, false, "text/plain", body), ct);
        });
    }

    /// <summary>Idempotency records written as the create endpoints do (the key looked up, then the record in a transaction).</summary>
    public async Task SeedIdempotencyAsync(UserPartition user, int records) =>
        await Parallel.ForEachAsync(Enumerable.Range(0, records), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
        {
            var (_, expired) = await Idempotency.FindAsync(user, "threads.create", $"key{i}", ct);
            await Storage.Users.SubmitAsync([IdempotencyStore.RecordAction(user, new IdempotencyRecord("threads.create", $"key{i}", "hash", 201, "{\"id\":\"x\"}", null, Clock.Now), expired)], ct);
        });

    public async Task DeleteAsync()
    {
        await Task.WhenAll(Storage.Users.DeleteAsync(), Storage.Expiry.DeleteAsync(), Storage.Jobs.DeleteAsync(), Storage.MissionDue.DeleteAsync(), Storage.Payloads.DeleteIfExistsAsync());
    }

    /// <summary>Rows in the user's partition (a key-only scan).</summary>
    public async Task<long> CountRowsAsync(UserPartition user)
    {
        long rows = 0;
        await foreach (var page in Storage.Users.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"), select: ["RowKey"]).AsPages())
        {
            rows += page.Values.Count;
        }

        return rows;
    }
}
