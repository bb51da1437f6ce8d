using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Autosave;
using Serverless.Storage.Conversations;
using Serverless.Storage.Integrations;
using Serverless.Storage.Events;
using Serverless.Storage.Memories;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Usage;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Payloads;
using Serverless.Storage.Users;

namespace Serverless.Tests.Testing;

/// <summary>
/// Tables and a container of their own in the run's Azurite (user rows, expiry index, lifecycle jobs, due index,
/// payloads), and every store and lifecycle service over them, as the app wires them. <see cref="Over"/> gives the
/// same storage reached through other client options (fault injection, a round-trip counter).
/// </summary>
public sealed class LifecycleWorld : IAsyncDisposable
{
    private readonly Azurite azurite;
    private readonly bool owner;

    private LifecycleWorld(Azurite azurite, LifecycleStorage storage, TimeProvider time, RetentionPolicy policy, bool owner)
    {
        this.azurite = azurite;
        this.owner = owner;
        Storage = storage;
        Time = time;
        Policy = policy;
        Settings = new SettingsStore(storage.Users);
        Expiry = new ExpiryIndex(storage.Expiry, Settings, policy, time);
        Payloads = new PayloadStore(storage.Payloads);
        Threads = new ThreadStore(storage.Users, time, Expiry);
        Messages = new MessageStore(storage.Users, Threads, Payloads, time);
        Archiver = new ThreadArchiver(storage.Users, Threads, Payloads);
        Summaries = new SummaryStore(storage.Users, time);
        Missions = new MissionStore(storage.Users, Payloads, Expiry);
        Idempotency = new IdempotencyStore(storage.Users, time, Expiry);
        Holds = new LegalHolds(storage.Users, time);
        Sweep = new RetentionSweep(storage, Expiry);
        Orphans = new OrphanSweep(storage, time);
        Hashes = new UserKeyHash(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
        Erasure = new ErasureJobs(storage, time, Hashes);
        Jobs = new LifecycleJobs(storage, Expiry, Hashes, TimeSpan.FromDays(1), time);
        Usage = new UsageReports(storage, time);
        Migrations = new MigrationJob(storage.Users, SchemaMigrations.Current, time);
        Artifacts = new ArtifactStore(storage.Users, Payloads, Expiry, time);
        Autosaves = new AutosaveStore(storage.Users, Payloads, Expiry, time);
        Integrations = new IntegrationStore(storage.Users);

        Memories = new MemoryStore(storage.Users, time);
        Runs = new RunStore(storage.Users, Payloads, Expiry, time);
        Events = new EventStore(storage.Users, Expiry, time);
        Rollups = new UsageStore(storage.Users);
        Records = new RecordStore(storage.Users, Payloads, Expiry, time, RecordQuotas.Default);
    }

    public LifecycleStorage Storage { get; }

    public TimeProvider Time { get; }

    public RetentionPolicy Policy { get; }

    public SettingsStore Settings { get; }

    public ExpiryIndex Expiry { get; }

    public PayloadStore Payloads { get; }

    public ThreadStore Threads { get; }

    public MessageStore Messages { get; }

    public ThreadArchiver Archiver { get; }

    public SummaryStore Summaries { get; }

    public MissionStore Missions { get; }

    public IdempotencyStore Idempotency { get; }

    public LegalHolds Holds { get; }

    public RetentionSweep Sweep { get; }

    public OrphanSweep Orphans { get; }

    public UserKeyHash Hashes { get; }

    public ErasureJobs Erasure { get; }

    /// <summary>The per-user jobs and their queue (orphan grace 1 day).</summary>
    public LifecycleJobs Jobs { get; }

    public UsageReports Usage { get; }

    public MigrationJob Migrations { get; }

    public ArtifactStore Artifacts { get; }

    public AutosaveStore Autosaves { get; }

    public IntegrationStore Integrations { get; }
    public MemoryStore Memories { get; }

    public RunStore Runs { get; }

    public EventStore Events { get; }

    public UsageStore Rollups { get; }

    public RecordStore Records { get; }

    public IntegrityChecks Integrity(TimeSpan orphanGrace) => new(Storage, Expiry, orphanGrace);

    /// <summary>Creates the tables and the container.</summary>
    public static async Task<LifecycleWorld> CreateAsync(TimeProvider? time = null, RetentionPolicy? policy = null)
    {
        var azurite = await Azurite.Shared;
        var account = azurite.Connect();
        var storage = new LifecycleStorage(
            account.Tables.GetTableClient(Azurite.UniqueName("lu")),
            account.Tables.GetTableClient(Azurite.UniqueName("le")),
            account.Tables.GetTableClient(Azurite.UniqueName("lj")),
            account.Tables.GetTableClient(Azurite.UniqueName("ld")),
            account.Blobs.GetBlobContainerClient(Azurite.UniqueName("lp")));
        await Task.WhenAll(
            storage.Users.CreateIfNotExistsAsync(),
            storage.Expiry.CreateIfNotExistsAsync(),
            storage.Jobs.CreateIfNotExistsAsync(),
            storage.MissionDue.CreateIfNotExistsAsync(),
            storage.Payloads.CreateIfNotExistsAsync());
        return new LifecycleWorld(azurite, storage, time ?? TimeProvider.System, policy ?? new RetentionPolicy(), owner: true);
    }

    /// <summary>The same tables and container through clients built with <paramref name="customize"/> (disposing it deletes nothing).</summary>
    public LifecycleWorld Over(Action<ClientOptions> customize)
    {
        var account = azurite.Connect(customize);
        var storage = new LifecycleStorage(
            account.Tables.GetTableClient(Storage.Users.Name),
            account.Tables.GetTableClient(Storage.Expiry.Name),
            account.Tables.GetTableClient(Storage.Jobs.Name),
            account.Tables.GetTableClient(Storage.MissionDue.Name),
            account.Blobs.GetBlobContainerClient(Storage.Payloads.Name));
        return new LifecycleWorld(azurite, storage, Time, Policy, owner: false);
    }

    /// <summary>An expiry index on a table of its own, for tests of stores that need one and nothing else of the lifecycle.</summary>
    public static async Task<ExpiryIndex> ExpiryForAsync(TableClient users, TimeProvider? time = null)
    {
        var index = (await Azurite.Shared).Table(Azurite.UniqueName("ex"));
        await index.CreateIfNotExistsAsync();
        return new ExpiryIndex(index, new SettingsStore(users), new RetentionPolicy(), time ?? TimeProvider.System);
    }

    public async ValueTask DisposeAsync()
    {
        if (owner)
        {
            await Task.WhenAll(Storage.Users.DeleteAsync(), Storage.Expiry.DeleteAsync(), Storage.Jobs.DeleteAsync(), Storage.MissionDue.DeleteAsync(), Storage.Payloads.DeleteIfExistsAsync());
        }
    }
}
