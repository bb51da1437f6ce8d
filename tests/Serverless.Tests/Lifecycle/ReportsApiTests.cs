using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Storage;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary><c>/api/v1/me/usage</c>, <c>/me/integrity</c> (and its repair) and <c>/me/migrations</c> through the local server.</summary>
public sealed class ReportsApiTests
{
    [Fact]
    public async Task Usage_IsComputedWithinTheRequest_KeptAndAnsweredAgain_AndCountsOnlyTheCallersData()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await LifecycleApp.FillAsync(alice);
        var scanned = await app.Jobs.Usage.ComputeAsync(UserPartition.For("alice"), default);

        var first = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/usage"), HttpStatusCode.OK);
        var second = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/usage"), HttpStatusCode.OK);
        var fresh = await LifecycleApp.JsonAsync(await bob.GetAsync("/api/v1/me/usage"), HttpStatusCode.OK);

        var kinds = first.GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!);
        foreach (var expected in scanned.Kinds)
        {
            Assert.Equal(expected.Rows, kinds[expected.Kind].GetProperty("rows").GetInt64());
            Assert.Equal(expected.RowBytes, kinds[expected.Kind].GetProperty("rowBytes").GetInt64());
            Assert.Equal(expected.Blobs, kinds[expected.Kind].GetProperty("blobs").GetInt64());
            Assert.Equal(expected.BlobBytes, kinds[expected.Kind].GetProperty("blobBytes").GetInt64());
        }

        Assert.Equal(scanned.Rows, first.GetProperty("totals").GetProperty("rows").GetInt64());
        Assert.Equal(first.ToString(), second.ToString());
        Assert.Equal(JsonValueKind.Null, first.GetProperty("refreshRequestedAt").ValueKind);
        Assert.Equal(0, fresh.GetProperty("totals").GetProperty("rows").GetInt64());
        Assert.Empty(await app.TracesAsync("bob"));

        // An explicit refresh right after a computation answers it as is.
        Assert.Equal(first.ToString(), (await LifecycleApp.JsonAsync(await alice.PostAsync("/api/v1/me/usage/refresh", null), HttpStatusCode.OK)).ToString());
    }

    [Fact]
    public async Task Usage_OfABigUser_IsAJob_202ThenTheTimerComputesIt_AndAStaleReportQueuesANewOne()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?>
        {
            ["Lifecycle:RequestWorkBudget"] = "00:00:00",
            ["Lifecycle:ReportMaxAge"] = "00:00:00.001",
        });
        var alice = app.ClientFor("alice");
        await LifecycleApp.FillAsync(alice);

        var queued = await alice.GetAsync("/api/v1/me/usage");
        var job = await LifecycleApp.JsonAsync(queued, HttpStatusCode.Accepted);
        Assert.Equal("/api/v1/me/usage", queued.Headers.Location?.ToString());
        Assert.Equal("usage", job.GetProperty("kind").GetString());
        Assert.Equal("queued", job.GetProperty("state").GetString());
        var refresh = await LifecycleApp.JsonAsync(await alice.PostAsync("/api/v1/me/usage/refresh", null), HttpStatusCode.Accepted);
        Assert.Equal(job.GetProperty("requestedAt").GetString(), refresh.GetProperty("requestedAt").GetString());

        await app.RunJobsAsync();
        var report = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/usage"), HttpStatusCode.OK);
        Assert.True(report.GetProperty("totals").GetProperty("rows").GetInt64() > 20);

        // Older than Lifecycle:ReportMaxAge: answered, and a new computation is queued.
        Assert.NotEqual(JsonValueKind.Null, report.GetProperty("refreshRequestedAt").ValueKind);
        await app.RunJobsAsync();
        var newer = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/usage"), HttpStatusCode.OK);
        Assert.True(newer.GetProperty("computedAt").GetDateTimeOffset() > report.GetProperty("computedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Integrity_CleanDataHasNoProblem_RepairFixesWhatItCan_AndSaysWhatIsLeft()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await LifecycleApp.FillAsync(alice);
        await LifecycleApp.FillAsync(bob);

        var clean = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/integrity"), HttpStatusCode.OK);
        Assert.Equal(0, clean.GetProperty("problemCount").GetInt32());

        // Damage: a message whose blob is gone (not repairable), a thread counter that lies (repairable).
        Assert.True((await alice.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = new string('z', 20_000) })).IsSuccessStatusCode);
        var user = UserPartition.For("alice");
        var messages = await app.Tables.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.MessagesOf("t1")));
        var blob = messages.Select(m => m.GetString("ContentBlob")).Last(b => b is not null)!;
        await app.Services.GetRequiredService<AppContainers>().Payloads.DeleteBlobAsync(blob);
        await app.Tables.Users.UpdateEntityAsync(new TableEntity(user.Key, UserRowKeys.ForThread("t1")) { ["MessageCount"] = 999L }, ETag.All, TableUpdateMode.Merge);

        var repaired = await LifecycleApp.JsonAsync(await alice.PostAsync("/api/v1/me/integrity/repair", null), HttpStatusCode.OK);

        Assert.NotEqual(JsonValueKind.Null, repaired.GetProperty("repairedAt").ValueKind);
        Assert.Contains(repaired.GetProperty("repairs").EnumerateArray(), r => r.GetString()!.Contains("thread t1: counters set", StringComparison.Ordinal));
        var left = Assert.Single(repaired.GetProperty("problems").EnumerateArray());
        Assert.Equal("dangling_reference", left.GetProperty("code").GetString());
        Assert.False(left.GetProperty("repairable").GetBoolean());
        Assert.Equal(1, repaired.GetProperty("problemCount").GetInt32());
        Assert.Equal(repaired.ToString(), (await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/integrity"), HttpStatusCode.OK)).ToString());

        // Bob's data was neither checked into Alice's report nor touched.
        Assert.Equal(0, (await LifecycleApp.JsonAsync(await bob.GetAsync("/api/v1/me/integrity"), HttpStatusCode.OK)).GetProperty("problemCount").GetInt32());
    }

    [Fact]
    public async Task Integrity_OfABigUser_IsAJob()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Lifecycle:RequestWorkBudget"] = "00:00:00" });
        var alice = app.ClientFor("alice");
        await LifecycleApp.FillAsync(alice);

        var check = await alice.GetAsync("/api/v1/me/integrity");
        Assert.Equal("integrity", (await LifecycleApp.JsonAsync(check, HttpStatusCode.Accepted)).GetProperty("kind").GetString());
        Assert.Equal("/api/v1/me/integrity", check.Headers.Location?.ToString());
        var repair = await alice.PostAsync("/api/v1/me/integrity/repair", null);
        Assert.Equal("repair", (await LifecycleApp.JsonAsync(repair, HttpStatusCode.Accepted)).GetProperty("kind").GetString());

        await app.RunJobsAsync();

        var done = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/integrity"), HttpStatusCode.OK);
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("repairedAt").ValueKind);
        Assert.Equal(0, done.GetProperty("problemCount").GetInt32());
        Assert.Empty(await app.Jobs.Pending.ReadAsync(10, default));
    }

    [Fact]
    public async Task Migrations_OldRowsQueueTheJob_WhichTheTimerRuns_AndTheStepsSayWhatRanWhen()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        var user = UserPartition.For("alice");

        // A setting as written before it had a schema version or its own UpdatedAt.
        await app.Tables.Users.AddEntityAsync(new TableEntity(user.Key, UserRowKeys.ForSetting("ui", "old")) { ["Value"] = "1" });
        var pending = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/migrations"), HttpStatusCode.OK);

        Assert.False(pending.GetProperty("current").GetBoolean());
        var step = Assert.Single(pending.GetProperty("steps").EnumerateArray());
        Assert.Equal(("setting", 2, "pending"), (step.GetProperty("kind").GetString(), step.GetProperty("version").GetInt32(), step.GetProperty("state").GetString()));
        Assert.NotEqual(JsonValueKind.Null, pending.GetProperty("jobQueuedAt").ValueKind);

        await app.RunJobsAsync();

        var applied = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/migrations"), HttpStatusCode.OK);
        Assert.True(applied.GetProperty("current").GetBoolean());
        var done = Assert.Single(applied.GetProperty("steps").EnumerateArray());
        Assert.Equal("applied", done.GetProperty("state").GetString());
        Assert.Equal(1, done.GetProperty("rows").GetInt64());
        Assert.NotEqual(JsonValueKind.Null, done.GetProperty("appliedAt").ValueKind);
        Assert.Equal(2, (await app.Tables.Users.GetEntityAsync<TableEntity>(user.Key, UserRowKeys.ForSetting("ui", "old"))).Value.GetInt32(SchemaMigrations.VersionColumn));

        // Another user with nothing stored: steps pending, and nothing queued or written for them.
        var none = await LifecycleApp.JsonAsync(await bob.GetAsync("/api/v1/me/migrations"), HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, none.GetProperty("jobQueuedAt").ValueKind);
        Assert.Empty(await app.TracesAsync("bob"));
    }

    [Fact]
    public async Task AWrite_QueuesTheMigrationJob_OfAUserWithOldRows()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var user = UserPartition.For("alice");
        await app.Tables.Users.AddEntityAsync(new TableEntity(user.Key, UserRowKeys.ForSetting("ui", "old")) { ["Value"] = "1" });

        Assert.Equal(HttpStatusCode.Created, (await alice.PutAsJsonAsync("/api/v1/settings/ui/new", new { value = 2 })).StatusCode);

        Assert.NotNull(await app.Jobs.QueuedAsync(user, LifecycleJobKinds.Migration, default));
        await app.RunJobsAsync();
        Assert.True(await app.Jobs.Migrations.IsCurrentAsync(user, default));
    }
}
