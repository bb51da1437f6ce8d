using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Bundles;
using Serverless.Cli.Commands;
using Serverless.Cli.Importers;
using Serverless.Tests.Cli;
using Serverless.Tests.Lifecycle;
using static Serverless.Tests.Portability.PortabilityFlows;

namespace Serverless.Tests.Portability;

/// <summary>Records in bundles, through the API: round trip with list copies and counters, policies, parents, quotas, expiry, CLI lines.</summary>
public sealed class RecordPortabilityTests
{
    [Fact]
    public async Task ExportThenImportIntoAnEmptyUser_ThenExportAgain_GivesTheSameRecords_ListsAndCounters_AndASecondImportChangesNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        var big = new string('x', 70_000);
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/notes", new { id = "r1", data = new { title = "root", n = 1.50 }, status = "open", counters = new { views = 3 } }));
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/notes", new { id = "c1", data = new { title = "child" }, parentId = "r1" }));
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/notes", new { id = "a0", data = new { title = "grandchild, first by id" }, parentId = "c1", status = "done" }));
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/notes", new { id = "big", data = new { text = big }, expiresAt = DateTimeOffset.UtcNow.AddDays(30) }));
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/notes/r1/increment", new { counter = "views", by = 2 }));
        await OkAsync(await alice.PatchAsJsonAsync("/api/v1/records/notes/c1", new { status = "open" }));
        await OkAsync(await alice.PostAsJsonAsync("/api/v1/records/tasks", new { id = "t1" }));

        var (_, first) = await ExportJobAsync(app, alice);
        var lines = await LinesAsync(first, "record");
        var order = lines.Select(l => l.GetProperty("id").GetString()).ToList();
        Assert.True(order.IndexOf("r1") < order.IndexOf("c1") && order.IndexOf("c1") < order.IndexOf("a0"), string.Join(",", order));
        var bigLine = lines.Single(l => l.GetProperty("id").GetString() == "big");
        Assert.Equal(JsonValueKind.Null, bigLine.GetProperty("data").ValueKind);
        Assert.StartsWith("blobs/", bigLine.GetProperty("dataFile").GetString(), StringComparison.Ordinal);

        var imported = await ImportAsync(app, bob, first);
        Assert.Equal("done", imported.GetProperty("state").GetString());
        Assert.Equal((5, 0, 0), Report(imported)["record"]);
        var (_, second) = await ExportJobAsync(app, bob);
        await AssertSameContentAsync(first, second);

        // What users see: records, every list (recency, id, status, children) and the collections' counters.
        foreach (var path in new[]
        {
            "/api/v1/records", "/api/v1/records/notes", "/api/v1/records/notes?sort=id", "/api/v1/records/notes?status=open", "/api/v1/records/notes?parentId=r1",
            "/api/v1/records/notes?parentId=c1", "/api/v1/records/notes/big", "/api/v1/records/notes/r1", "/api/v1/records/tasks",
        })
        {
            Assert.Equal(await alice.GetStringAsync(path), await bob.GetStringAsync(path));
        }

        // Derived rows are exactly what the API's writes left: the same row keys and columns but blob names (fresh per write).
        Assert.Equal(RecordRows(await app.RowsAsync("alice")), RecordRows(await app.RowsAsync("bob")));

        var before = Snapshot(await app.RowsAsync("bob"));
        var again = await ImportAsync(app, bob, first, "overwrite");
        Assert.Equal((0, 5, 0), Report(again)["record"]);
        Assert.Equal(before, Snapshot(await app.RowsAsync("bob")));
    }

    [Fact]
    public async Task ConflictPolicies_Skip_Overwrite_KeepBoth_AndChildrenFollowTheCopyOfTheirParent()
    {
        await using var app = await LifecycleApp.StartAsync();
        var carol = app.ClientFor("carol");
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/records/notes", new { id = "r1", data = new { v = "before" } }));
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/records/notes", new { id = "c1", data = new { v = "child" }, parentId = "r1" }));
        var (_, bundle) = await ExportJobAsync(app, carol);
        await OkAsync(await carol.PutAsJsonAsync("/api/v1/records/notes/r1", new { data = new { v = "after" } }));

        Assert.Equal((0, 2, 0), Report(await ImportAsync(app, carol, bundle, "skip"))["record"]);
        Assert.Equal("after", (await Record(carol, "r1")).GetProperty("data").GetProperty("v").GetString());

        var keepBoth = await ImportAsync(app, carol, bundle, "keepBoth");
        Assert.Equal((2, 0, 0), Report(keepBoth)["record"]);
        var notes = Issues(keepBoth, "record", "notes");
        var rootCopy = notes.Single(n => n.StartsWith("notes/r1:", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(':');
        var childCopy = notes.Single(n => n.StartsWith("notes/c1:", StringComparison.Ordinal)).Split(' ')[3].TrimEnd(':');
        Assert.StartsWith("r1-", rootCopy, StringComparison.Ordinal);
        Assert.Equal("before", (await Record(carol, rootCopy)).GetProperty("data").GetProperty("v").GetString());
        Assert.Equal(rootCopy, (await Record(carol, childCopy)).GetProperty("parentId").GetString());
        Assert.Equal("r1", (await Record(carol, "c1")).GetProperty("parentId").GetString());
        Assert.Equal((0, 2, 0), Report(await ImportAsync(app, carol, bundle, "keepBoth"))["record"]);

        Assert.Equal((1, 1, 0), Report(await ImportAsync(app, carol, bundle, "overwrite"))["record"]);
        var restored = await Record(carol, "r1");
        Assert.Equal("before", restored.GetProperty("data").GetProperty("v").GetString());
        var byRecency = JsonDocument.Parse(await carol.GetStringAsync("/api/v1/records/notes")).RootElement.GetProperty("data").EnumerateArray().Select(r => r.GetProperty("id").GetString()).ToList();
        Assert.Equal(4, byRecency.Count);
        Assert.Equal(4, JsonDocument.Parse(await carol.GetStringAsync("/api/v1/records")).RootElement.GetProperty("data")[0].GetProperty("records").GetInt64());
    }

    [Fact]
    public async Task AChildWhoseParentIsNeitherEarlierNorStored_FailsTheJob_AndNothingIsWritten()
    {
        await using var app = await LifecycleApp.StartAsync();
        var dave = app.ClientFor("dave");
        var t = DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var bundle = await BundleAsync([
            ("thread", new ThreadLine("good", "fine", null, null, null, t, null, null, null, null, null, null)),
            ("record", new RecordLine("notes", "ok", JsonDocument.Parse("{}").RootElement, CreatedAt: t)),
            ("record", new RecordLine("notes", "child", JsonDocument.Parse("{}").RootElement, ParentId: "later", CreatedAt: t)),
            ("record", new RecordLine("notes", "later", JsonDocument.Parse("{}").RootElement, CreatedAt: t)),
        ]);
        var failed = await ImportAsync(app, dave, bundle);
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal("bundle_line", failed.GetProperty("errorCode").GetString());
        Assert.Contains("record.ndjson line 2", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.All(await app.RowsAsync("dave"), r => Assert.StartsWith("port|", r.RowKey, StringComparison.Ordinal));

        var badData = await BundleAsync([("record", new RecordLine("notes", "x", JsonDocument.Parse("[1]").RootElement))]);
        Assert.Equal("bundle_line", (await ImportAsync(app, dave, badData)).GetProperty("errorCode").GetString());
        var twice = await BundleAsync([("record", new RecordLine("notes", "x")), ("record", new RecordLine("notes", "x"))]);
        Assert.Equal("bundle_line", (await ImportAsync(app, dave, twice)).GetProperty("errorCode").GetString());
        Assert.All(await app.RowsAsync("dave"), r => Assert.StartsWith("port|", r.RowKey, StringComparison.Ordinal));
    }

    [Fact]
    public async Task QuotasRefuseRecordsOneByOne_AndTheirChildrenFollow_ExpiredRecordsAreSkippedWithANote()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Records:MaxRecordsPerCollection"] = "2" });
        var erin = app.ClientFor("erin");
        var t = DateTimeOffset.Parse("2025-01-01T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);
        var data = JsonDocument.Parse("""{"a":1}""").RootElement;
        var bundle = await BundleAsync([
            ("record", new RecordLine("notes", "n1", data, CreatedAt: t)),
            ("record", new RecordLine("notes", "n2", data, CreatedAt: t)),
            ("record", new RecordLine("notes", "n3", data, CreatedAt: t)),
            ("record", new RecordLine("notes", "n4", data, ParentId: "n3", CreatedAt: t)),
            ("record", new RecordLine("other", "gone", data, CreatedAt: t, ExpiresAt: t.AddDays(1))),
            ("record", new RecordLine("other", "kept", data, ParentId: "gone", CreatedAt: t)),
        ]);
        var job = await ImportAsync(app, erin, bundle);
        Assert.Equal((3, 1, 2), Report(job)["record"]);
        Assert.Equal(["notes/n3: the recordsPerCollection quota (2) would be exceeded.", "notes/n4: its parent n3 was not imported."], Issues(job, "record", "failures"));
        var notes = Issues(job, "record", "notes");
        Assert.Contains(notes, n => n.StartsWith("other/gone: not imported: it expired", StringComparison.Ordinal));
        Assert.Contains(notes, n => n.StartsWith("other/kept: imported without parentId", StringComparison.Ordinal));
        await LifecycleApp.JsonAsync(await erin.GetAsync("/api/v1/records/notes/n3"), HttpStatusCode.NotFound);
        var kept = await Record(erin, "kept", "other");
        Assert.Equal(JsonValueKind.Null, kept.GetProperty("parentId").ValueKind);
        Assert.Equal(t, kept.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(t, kept.GetProperty("updatedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task RecordsTheCommandLineImporterWrites_Import_AndASecondImportSkipsThem()
    {
        await using var app = await LifecycleApp.StartAsync();
        var frank = app.ClientFor("frank");
        using var scratch = new CliRunner();
        var schedules = Path.Combine(scratch.Folder, "notification-schedules.json");
        await File.WriteAllTextAsync(schedules, """
            {"schedules": [
              {"id": "morning-brief", "label": "Morning brief", "cron": "0 8 * * *", "enabled": true, "runCount": 41, "successCount": 39, "failureCount": 2,
               "createdAt": "2025-03-01T09:00:00.000Z", "updatedAt": "2025-04-01T09:00:00.000Z"},
              {"id": "weekly", "label": "Weekly", "enabled": false}
            ]}
            """);
        var file = Path.Combine(scratch.Folder, "bundle.zip");
        await ImportCommand.ConvertAsync(new NovaImporter([schedules], null), file, default);
        var bundle = await File.ReadAllBytesAsync(file);

        var job = await ImportAsync(app, frank, bundle);
        Assert.Equal((2, 0, 0), Report(job)["record"]);
        var morning = await Record(frank, "morning-brief", NovaImporter.SchedulesCollection);
        Assert.Equal(41, morning.GetProperty("counters").GetProperty("runCount").GetInt64());
        Assert.Equal("enabled", morning.GetProperty("status").GetString());
        Assert.Equal(DateTimeOffset.Parse("2025-04-01T09:00:00Z", System.Globalization.CultureInfo.InvariantCulture), morning.GetProperty("updatedAt").GetDateTimeOffset());
        var weekly = await Record(frank, "weekly", NovaImporter.SchedulesCollection);
        Assert.Equal(weekly.GetProperty("createdAt").GetDateTimeOffset(), weekly.GetProperty("updatedAt").GetDateTimeOffset());

        // A line without times takes them from the record it imported the first time, so a second import finds it equal.
        var before = Snapshot(await app.RowsAsync("frank"));
        Assert.Equal((0, 2, 0), Report(await ImportAsync(app, frank, bundle, "overwrite"))["record"]);
        Assert.Equal(before, Snapshot(await app.RowsAsync("frank")));
    }

    private static async Task<JsonElement> Record(HttpClient client, string id, string collection = "notes") =>
        JsonDocument.Parse(await client.GetStringAsync($"/api/v1/records/{collection}/{id}")).RootElement.Clone();

    /// <summary>The record rows (record, copies, counters) without the columns that differ by design: blob names and versions.</summary>
    private static List<string> RecordRows(List<Azure.Data.Tables.TableEntity> rows) =>
        [.. Snapshot([.. rows.Where(r => r.RowKey.StartsWith("rec", StringComparison.Ordinal))])
            .Select(r => string.Join(",", r.Split(',').Where(c => !c.StartsWith("DataBlob", StringComparison.Ordinal) && !c.StartsWith("PartitionKey", StringComparison.Ordinal))))];
}
