using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>Rows written in an older shape are upgraded lazily on read and for good by the per-user job, which records what ran when.</summary>
public sealed class MigrationTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Start = new(2026, 5, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly ManualClock clock = new(Start);
    private readonly UserPartition user = UserPartition.For("mig");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync(clock);

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task AVersion1SettingRow_ReadsUpgraded_AndTheJobRewritesIt_AndRecordsWhatRanWhen()
    {
        // A setting row as an older version wrote it: no UpdatedAt column, no schema version.
        await world.Storage.Users.AddEntityAsync(new TableEntity(user.Key, UserRowKeys.ForSetting("ui", "old")) { ["Value"] = "\"v1\"" });
        var raw = (await world.Storage.Users.FindAsync(user.Key, UserRowKeys.ForSetting("ui", "old")))!;
        Assert.Equal(1, SchemaMigrations.VersionOf(raw));

        var read = (await world.Settings.GetAsync(user, "ui", "old", default))!;
        Assert.Equal(raw.Timestamp, read.UpdatedAt);
        Assert.Equal("\"v1\"", read.ValueJson);
        Assert.Equal(1, SchemaMigrations.VersionOf((await world.Storage.Users.FindAsync(user.Key, UserRowKeys.ForSetting("ui", "old")))!));
        Assert.False(await world.Migrations.IsCurrentAsync(user, default));

        var records = await world.Migrations.RunAsync(user, default);

        var stored = (await world.Storage.Users.FindAsync(user.Key, UserRowKeys.ForSetting("ui", "old")))!;
        Assert.Equal(2, SchemaMigrations.VersionOf(stored));
        Assert.Equal(raw.Timestamp, stored.GetDateTimeOffset("UpdatedAt"));
        var record = Assert.Single(records);
        Assert.Equal(("setting", 2, 1L, (DateTimeOffset?)Start), (record.Kind, record.Version, record.Rows, record.AppliedAt));
        Assert.True(await world.Migrations.IsCurrentAsync(user, default));

        // New rows are written at the current version; running again changes nothing.
        await world.Settings.PutAsync(user, "ui", "new", "1", null, false, default);
        Assert.Equal(2, SchemaMigrations.VersionOf((await world.Storage.Users.FindAsync(user.Key, UserRowKeys.ForSetting("ui", "new")))!));
        clock.Now = Start.AddDays(1);
        Assert.Equal(Start, Assert.Single(await world.Migrations.RunAsync(user, default)).AppliedAt);
    }

    [Fact]
    public async Task AnInterruptedJob_CarriesOnWhereItStopped()
    {
        for (var i = 0; i < 250; i += 50)
        {
            await world.Storage.Users.SubmitTransactionAsync(Enumerable.Range(i, 50).Select(n =>
                new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(user.Key, UserRowKeys.ForSetting("bulk", $"k{n:D3}")) { ["Value"] = "0" })));
        }

        var dying = world.Over(o =>
        {
            o.Transport = FaultInjectionTransport.DiesAfter(110); // after the first page of 100 and its progress record
            o.Retry.MaxRetries = 0;
        });
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => dying.Migrations.RunAsync(user, default));
        var partial = Assert.Single(await world.Migrations.RecordsAsync(user, default));
        Assert.Null(partial.AppliedAt);

        var done = Assert.Single(await world.Migrations.RunAsync(user, default));
        Assert.NotNull(done.AppliedAt);
        Assert.Equal(250, done.Rows);
        Assert.All(await world.Storage.Users.ReadAllAsync(UserDataKinds.Setting.Filter(user)), row => Assert.Equal(2, SchemaMigrations.VersionOf(row)));
    }

    [Fact]
    public void Migrations_RunInVersionOrder_AndASetWithGapsIsRefused()
    {
        var steps = new SchemaMigrations(
        [
            new("summary", 3, "b", row => row["Log"] = row.GetString("Log") + "3"),
            new("summary", 2, "a", row => row["Log"] = row.GetString("Log") + "2"),
        ]);
        var row = new TableEntity("p", "summary|t") { ["Log"] = "1" };

        Assert.True(steps.Upgrade(UserDataKinds.Summary, row));
        Assert.Equal("123", row.GetString("Log"));
        Assert.Equal(3, SchemaMigrations.VersionOf(row));
        Assert.False(steps.Upgrade(UserDataKinds.Summary, row));
        Assert.Equal(1, steps.VersionOf(UserDataKinds.Thread));

        Assert.Throws<ArgumentException>(() => new SchemaMigrations([new("summary", 3, "gap", _ => { })]));
        Assert.Throws<ArgumentException>(() => new SchemaMigrations([new("nokind", 2, "x", _ => { })]));
    }
}
