using System.Text.Json;
using Serverless.Functions.Lifecycle;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>The <c>admin</c> commands in-process, against the app's configured storage, each printing JSON.</summary>
public sealed class AdminCommandTests : IAsyncLifetime
{
    private LifecycleApp app = null!;

    public async Task InitializeAsync()
    {
        app = await LifecycleApp.StartAsync();
        await LifecycleApp.FillAsync(app.ClientFor("alice"));
        await LifecycleApp.FillAsync(app.ClientFor("bob"));
    }

    public async Task DisposeAsync() => await app.DisposeAsync();

    private async Task<(int Code, JsonElement Json, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await AdminCommand.TryRunAsync(["admin", .. args], app.Services, output, error);
        Assert.NotNull(code);
        var text = output.ToString();
        return (code.Value, code == 0 ? JsonDocument.Parse(text).RootElement.Clone() : default, error.ToString());
    }

    [Fact]
    public async Task HoldPlaceShowRelease_AndEraseIsRefusedUnderAHold_ThenErasesWithAReceipt()
    {
        var placed = await RunAsync("hold", "place", "alice", "--reason", "case 7");
        Assert.Equal(0, placed.Code);
        Assert.Equal("case 7", placed.Json.GetProperty("reason").GetString());
        Assert.Equal("case 7", (await RunAsync("hold", "show", "alice")).Json.GetProperty("reason").GetString());

        var refused = await RunAsync("erase", "alice");
        Assert.Equal(3, refused.Code);
        Assert.Contains("legal hold", refused.Error, StringComparison.Ordinal);
        Assert.NotEmpty(await app.RowsAsync("alice"));

        Assert.Equal(0, (await RunAsync("hold", "release", "alice")).Code);
        Assert.Equal(4, (await RunAsync("hold", "show", "alice")).Code);
        Assert.Equal(4, (await RunAsync("receipt", "alice")).Code);
        var erased = await RunAsync("erase", "alice");

        Assert.Equal(0, erased.Code);
        Assert.Equal("done", erased.Json.GetProperty("state").GetString());
        Assert.Empty(await app.TracesAsync("alice"));
        Assert.NotEmpty(await app.RowsAsync("bob"));
        var receipt = await RunAsync("receipt", "alice");
        Assert.Equal(erased.Json.ToString(), receipt.Json.ToString());
        Assert.Equal(erased.Json.GetProperty("id").GetString(), app.Jobs.HashOf(UserPartition.For("alice")));
    }

    [Fact]
    public async Task EraseNoWait_StartsTheJob_AndRunJobsFinishesIt()
    {
        var started = await RunAsync("erase", "alice", "--no-wait");
        Assert.Equal(0, started.Code);
        Assert.Equal("running", started.Json.GetProperty("state").GetString());

        var run = await RunAsync("run-jobs");

        Assert.Equal(0, run.Code);
        Assert.Equal("done", run.Json.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("kind").GetString() == "erasure").GetProperty("outcome").GetString());
        Assert.Equal("done", run.Json.GetProperty("backfill").GetProperty("phase").GetString());
        Assert.Empty(await app.TracesAsync("alice"));
    }

    [Fact]
    public async Task Sweeps_DryRunChangesNothing_ThenTheRealRunPurgesWhatIsDue()
    {
        var expiry = await app.Tables.Expiry.ReadAllAsync();
        var dry = await RunAsync("retention-sweep", "--dry-run");

        Assert.Equal(0, dry.Code);
        Assert.True(dry.Json.GetProperty("dryRun").GetBoolean());
        Assert.Equal(2, dry.Json.GetProperty("purged").GetInt32()); // the deleted missions of both users (their run logs go at once)
        Assert.Equal(expiry.Count, (await app.Tables.Expiry.ReadAllAsync()).Count);

        var real = await RunAsync("retention-sweep", "--max-entries", "100");
        Assert.Equal(2, real.Json.GetProperty("purged").GetInt32());
        Assert.Equal(expiry.Count - 2, (await app.Tables.Expiry.ReadAllAsync()).Count(e => e.PartitionKey != "cursor"));

        var orphans = await RunAsync("orphan-sweep", "--dry-run", "--user", "alice");
        Assert.Equal(0, orphans.Code);
        Assert.Equal(1, orphans.Json.GetProperty("users").GetInt32());
        Assert.True(orphans.Json.GetProperty("blobsChecked").GetInt64() >= 3);
        Assert.Equal(2, (await RunAsync("orphan-sweep", "--max-users", "5")).Json.GetProperty("users").GetInt32());
    }

    [Fact]
    public async Task BackfillUsageIntegrityMigrate_PrintWhatTheyDid()
    {
        var backfill = await RunAsync("backfill");
        Assert.Equal(0, backfill.Code);
        Assert.Equal("done", backfill.Json.GetProperty("phase").GetString());
        Assert.Equal(2, backfill.Json.GetProperty("scheduled").GetProperty("deletedThreads").GetInt32());
        Assert.Equal(1, (await RunAsync("backfill", "--user", "alice")).Json.GetProperty("deletedThreads").GetInt32());

        var usage = await RunAsync("usage", "alice");
        Assert.True(usage.Json.GetProperty("totals").GetProperty("rows").GetInt64() > 20);
        Assert.NotNull(await app.Jobs.Reports.GetUsageAsync(UserPartition.For("alice"), default));

        var integrity = await RunAsync("integrity", "alice", "--repair");
        Assert.Equal(0, integrity.Code);
        Assert.Empty(integrity.Json.GetProperty("check").GetProperty("problems").EnumerateArray());
        Assert.NotEmpty(integrity.Json.GetProperty("repair").GetProperty("repairs").EnumerateArray());

        var migrated = await RunAsync("migrate", "alice");
        Assert.True(migrated.Json.GetProperty("current").GetBoolean());
    }

    [Theory]
    [InlineData("erase")]
    [InlineData("nonsense", "alice")]
    [InlineData("retention-sweep", "--max-entries", "many")]
    [InlineData("hold", "place", "alice")]
    public async Task BadArguments_Fail_WithAMessage_AndChangeNothing(params string[] args)
    {
        var rows = (await app.RowsAsync("alice")).Count;

        var result = await RunAsync(args);

        Assert.NotEqual(0, result.Code);
        Assert.False(string.IsNullOrWhiteSpace(result.Error));
        Assert.Equal(rows, (await app.RowsAsync("alice")).Count);
        Assert.Empty(await app.Jobs.Pending.ReadAsync(10, default));
    }

    [Fact]
    public async Task OtherArguments_AreNotTheAdminCommand() =>
        Assert.Null(await AdminCommand.TryRunAsync(["mint-token", "alice"], app.Services, TextWriter.Null, TextWriter.Null));
}
