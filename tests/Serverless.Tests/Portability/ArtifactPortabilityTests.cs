using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bundles;
using Serverless.Cli.Importers;
using Serverless.Storage.Artifacts;
using Serverless.Tests.Artifacts;
using Serverless.Tests.Cli;
using Serverless.Tests.Lifecycle;
using static Serverless.Tests.Portability.PortabilityFlows;

namespace Serverless.Tests.Portability;

/// <summary>Artifacts in bundles, through the local server on Azurite: round trip with byte-equal content, conflicts, quota, bad lines, the CLI's lines.</summary>
public sealed class ArtifactPortabilityTests
{
    private static readonly DateTimeOffset Created = new(2025, 3, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task ExportThenImport_GivesTheSameArtifactsAndBytes_AndASecondImportChangesNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("art-alice");
        var bob = app.ClientFor("art-bob");
        var large = RandomNumberGenerator.GetBytes(6 * 1024 * 1024 + 123);
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { view = "chat", items = Enumerable.Range(0, 5000).Select(i => $"item {i}") }));
        await Upload(alice, "snapshot", "state.json", "application/json", json);
        var recording = await Upload(alice, "recording", "Demo run ▶.bin", "application/octet-stream", large, "thread:t1");
        await Upload(alice, "log", "empty.log", "text/plain; charset=utf-8", []);
        var patched = await Upload(alice, "diff", "change.diff", "text/x-diff", "--- a\n+++ b\n"u8.ToArray());
        await OkAsync(await alice.PatchAsJsonAsync($"/api/v1/artifacts/{patched}", new { name = "renamed.diff", expiresAt = "2031-01-01T00:00:00Z" }));
        await OkAsync(await alice.PatchAsJsonAsync($"/api/v1/artifacts/{recording}", new { starred = true }));

        var first = await ExportAsync(app, alice);
        var imported = await ImportAsync(app, bob, first, "skip");
        Assert.Equal("done", imported.GetProperty("state").GetString());
        Assert.Equal((4, 0, 0), Report(imported)["artifact"]);
        await AssertSameContentAsync(first, await ExportAsync(app, bob));

        // What users see: the same lists (ids, times, sizes, sha256, expiry), by kind and parent, and byte-equal content.
        foreach (var list in new[] { "/api/v1/artifacts?limit=100", "/api/v1/artifacts?kind=snapshot", "/api/v1/artifacts?parent=thread:t1" })
        {
            Assert.Equal(await alice.GetStringAsync(list), await bob.GetStringAsync(list));
        }

        foreach (var id in await IdsAsync(alice))
        {
            Assert.Equal(await alice.GetByteArrayAsync($"/api/v1/artifacts/{id}/content"), await bob.GetByteArrayAsync($"/api/v1/artifacts/{id}/content"));
        }

        Assert.Equal(large, await bob.GetByteArrayAsync($"/api/v1/artifacts/{recording}/content"));
        Assert.Equal(json, await bob.GetByteArrayAsync($"/api/v1/artifacts/{(await IdsAsync(bob, "snapshot")).Single()}/content"));

        // Importing the same bundle again, even with overwrite: every artifact is skipped and no row changes.
        var rowsBefore = Snapshot(await app.RowsAsync("art-bob"));
        var again = await ImportAsync(app, bob, first, "overwrite");
        Assert.Equal((0, 4, 0), Report(again)["artifact"]);
        Assert.Equal(rowsBefore, Snapshot(await app.RowsAsync("art-bob")));
    }

    [Fact]
    public async Task ConflictPolicies_Skip_Overwrite_KeepBoth_DecidePerArtifact()
    {
        await using var app = await LifecycleApp.StartAsync();
        var carol = app.ClientFor("art-carol");
        var id = await Upload(carol, "attachment", "before.txt", "text/plain", "original"u8.ToArray());
        var bundle = await ExportAsync(app, carol);
        await OkAsync(await carol.PatchAsJsonAsync($"/api/v1/artifacts/{id}", new { name = "after.txt" }));

        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, carol, bundle, "skip"))["artifact"]);
        Assert.Equal("after.txt", (await View(carol, id)).GetProperty("name").GetString());

        var keepBoth = await ImportAsync(app, carol, bundle, "keepBoth");
        Assert.Equal((1, 0, 0), Report(keepBoth)["artifact"]);
        var copy = Notes(keepBoth).Single().Split(' ')[2].TrimEnd(':');
        Assert.True(ArtifactStore.IsId(copy), copy);
        Assert.Equal("before.txt", (await View(carol, copy)).GetProperty("name").GetString());
        Assert.Equal("original"u8.ToArray(), await carol.GetByteArrayAsync($"/api/v1/artifacts/{copy}/content"));
        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, carol, bundle, "keepBoth"))["artifact"]);

        Assert.Equal((1, 0, 0), Report(await ImportAsync(app, carol, bundle, "overwrite"))["artifact"]);
        Assert.Equal("before.txt", (await View(carol, id)).GetProperty("name").GetString());

        // Overwrite replaces the content too (a bundle of another origin with the same id), and the quota counts the new bytes only.
        var other = RandomNumberGenerator.GetBytes(3000);
        var replaced = await ImportAsync(app, carol, await BundleAsync((Line(id, "attachment", "other.bin", "application/octet-stream", other), other)), "overwrite");
        Assert.Equal((1, 0, 0), Report(replaced)["artifact"]);
        Assert.Equal(other, await carol.GetByteArrayAsync($"/api/v1/artifacts/{id}/content"));
        var view = await View(carol, id);
        Assert.Equal(("other.bin", 3000L, "identity"), (view.GetProperty("name").GetString(), view.GetProperty("bytes").GetInt64(), view.GetProperty("storedEncoding").GetString()));
        Assert.Equal(3000 + "original".Length, await app.Services.GetRequiredService<ArtifactStore>().StoredBytesAsync(Serverless.Storage.Users.UserPartition.For("art-carol"), default));
    }

    [Fact]
    public async Task TheQuotaAndLargestArtifact_OfThisDeployment_FailArtifactsOneByOne_AndTheRestIsImported()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Artifacts:MaxBytesPerUser"] = "1000000", ["Artifacts:MaxUploadBytes"] = "700000" });
        var dan = app.ClientFor("art-dan");
        var a = RandomNumberGenerator.GetBytes(600_000);
        var b = RandomNumberGenerator.GetBytes(500_000);
        var c = RandomNumberGenerator.GetBytes(800_000);
        var job = await ImportAsync(app, dan, await BundleAsync(
            (Line(Id(1), "attachment", "a.bin", "application/octet-stream", a), a),
            (Line(Id(2), "attachment", "b.bin", "application/octet-stream", b), b),
            (Line(Id(3), "attachment", "c.bin", "application/octet-stream", c), c)), "skip");
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal((1, 0, 2), Report(job)["artifact"]);
        var failures = job.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "artifact").GetProperty("failures").EnumerateArray()
            .ToDictionary(f => f.GetProperty("id").GetString()!, f => f.GetProperty("reason").GetString()!);
        Assert.Contains("quota", failures[Id(2)], StringComparison.Ordinal);
        Assert.Contains("at most 700000", failures[Id(3)], StringComparison.Ordinal);
        Assert.Equal([Id(1)], await IdsAsync(dan));
    }

    [Fact]
    public async Task ABundleWithABadArtifactLine_FailsWithBundleLine_AndWritesNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var erin = app.ClientFor("art-erin");
        var content = "x"u8.ToArray();
        var good = Line(Id(1), "attachment", "a.txt", "text/plain", content);
        var unlisted = Line(Id(3), "log", "c.txt", "text/plain", "not in the bundle"u8.ToArray());
        var bad = new (ArtifactLine Line, string Member)[]
        {
            (good with { Id = Id(2), Kind = "Not A Kind" }, "kind"),
            (good with { Id = Id(2), Name = "tab\there" }, "name"),
            (good with { Id = Id(2), ContentType = "not a type" }, "contentType"),
            (good with { Id = Id(2), Parent = "-bad parent" }, "parent"),
            (good with { Id = Id(2), Bytes = 2 }, "bytes"),
            (good with { Id = Id(2), Starred = true, ExpiresAt = ArtifactLine.Expiry(Created.AddYears(20)) }, "expiresAt"),
            (good, "id"),
            (unlisted, "contentFile"),
        };
        foreach (var (line, member) in bad)
        {
            var bundle = await BundleAsync(
                [new ThreadLine("kept-out", "t", null, null, null, Created, null, null, null, null, null, null)],
                (good, content), (line, content));
            var job = await ImportAsync(app, erin, bundle, "skip");
            Assert.Equal("failed", job.GetProperty("state").GetString());
            Assert.Equal("bundle_line", job.GetProperty("errorCode").GetString());
            Assert.Contains("artifact.ndjson line 2", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.Contains(member + ":", job.GetProperty("error").GetString(), StringComparison.Ordinal);
            Assert.All(await app.RowsAsync("art-erin"), r => Assert.StartsWith("port|", r.RowKey, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task TheSidePanelsSnapshotsAndRecordings_AsTheCliWritesThem_Import_UnderArtifactIds_AndAgainChangeNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var fay = app.ClientFor("art-fay");
        using var folder = new TempFolder();
        var db = SidePanelFixture.Create(folder.Path);
        var file = Path.Combine(folder.Path, "sidepanel.zip");
        await Serverless.Cli.Commands.ImportCommand.ConvertAsync(new SidePanelImporter([db]), file, default);
        var bundle = await File.ReadAllBytesAsync(file);

        var job = await ImportAsync(app, fay, bundle, "skip");
        Assert.Equal("done", job.GetProperty("state").GetString());
        Assert.Equal((2, 0, 0), Report(job)["artifact"]);
        Assert.Equal(2, Notes(job).Count);
        var list = (await fay.GetFromJsonAsync<JsonElement>("/api/v1/artifacts")).GetProperty("data").EnumerateArray().ToDictionary(a => a.GetProperty("kind").GetString()!);

        var snapshot = list["snapshot"];
        Assert.True(ArtifactStore.IsId(snapshot.GetProperty("id").GetString()!));
        Assert.Equal("snapshot-snap-1.json", snapshot.GetProperty("name").GetString());
        Assert.True(snapshot.GetProperty("starred").GetBoolean());
        Assert.Equal(JsonValueKind.Null, snapshot.GetProperty("expiresAt").ValueKind);
        Assert.Equal(DateTimeOffset.Parse("2025-03-01T10:06:00Z", System.Globalization.CultureInfo.InvariantCulture), snapshot.GetProperty("createdAt").GetDateTimeOffset());
        var document = await fay.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts/{snapshot.GetProperty("id").GetString()}/content");
        Assert.Equal("chat", document.GetProperty("state").GetProperty("view").GetString());

        var recording = list["recording"];
        Assert.Equal("thread:s-1", recording.GetProperty("parent").GetString());
        Assert.Equal("Demo run", recording.GetProperty("name").GetString());
        Assert.Equal("application/json", recording.GetProperty("contentType").GetString());
        Assert.Equal(65000, (await fay.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts/{recording.GetProperty("id").GetString()}/content")).GetProperty("duration").GetInt64());

        // (Only the artifact rows: under overwrite this CLI bundle's thread s-1, with its long message, is rewritten; a matter of the thread kind.)
        var rowsBefore = ArtifactRows(await app.RowsAsync("art-fay"));
        Assert.Equal((0, 2, 0), Report(await ImportAsync(app, fay, bundle, "overwrite"))["artifact"]);
        Assert.Equal(rowsBefore, ArtifactRows(await app.RowsAsync("art-fay")));
    }

    [Fact]
    public async Task AnUnstarredSnapshotWithoutExpiry_GetsTheKindsDefaultFromTheImport_AndAnExpiredOneFails()
    {
        await using var app = await LifecycleApp.StartAsync();
        var gus = app.ClientFor("art-gus");
        var content = "{}"u8.ToArray();
        var job = await ImportAsync(app, gus, await BundleAsync(
            (Line("cli-snap", "snapshot", "s.json", "application/json", content) with { Bytes = null, Starred = null, ExpiresAt = default, UpdatedAt = null }, content),
            (Line(Id(2), "snapshot", "old.json", "application/json", content) with { ExpiresAt = ArtifactLine.Expiry(Created.AddDays(30)) }, content)), "skip");
        Assert.Equal((1, 0, 1), Report(job)["artifact"]);
        var imported = (await gus.GetFromJsonAsync<JsonElement>("/api/v1/artifacts")).GetProperty("data").EnumerateArray().Single();
        var expiresAt = imported.GetProperty("expiresAt").GetDateTimeOffset();
        Assert.InRange(expiresAt, DateTimeOffset.UtcNow.AddDays(29), DateTimeOffset.UtcNow.AddDays(31));
        Assert.Equal(Created, imported.GetProperty("updatedAt").GetDateTimeOffset());
    }

    private static List<string> ArtifactRows(List<Azure.Data.Tables.TableEntity> rows) => [.. Snapshot(rows).Where(r => r.StartsWith("artifact|", StringComparison.Ordinal))];

    private static string Id(int n) => Serverless.Storage.Users.UserRowKeys.InvertedTicks(Created) + "-" + n.ToString("x8", System.Globalization.CultureInfo.InvariantCulture);

    private static ArtifactLine Line(string id, string kind, string name, string contentType, byte[] content) =>
        new(id, kind, name, contentType, BundleFormat.BlobFileOf(content), Created, content.Length, null, false, ArtifactLine.Expiry(null), Created);

    private static Task<byte[]> BundleAsync(params (ArtifactLine Line, byte[] Content)[] artifacts) => BundleAsync([], artifacts);

    private static async Task<byte[]> BundleAsync(ThreadLine[] threads, params (ArtifactLine Line, byte[] Content)[] artifacts)
    {
        using var zip = new MemoryStream();
        await using (var writer = await BundleWriter.CreateAsync(zip, new BundleSource("test"), Created, default))
        {
            if (threads.Length > 0)
            {
                await using var kind = await writer.OpenKindAsync(BundleKinds.Thread, default);
                foreach (var thread in threads)
                {
                    await kind.WriteAsync(thread, default);
                }

                await kind.CompleteAsync(default);
            }

            foreach (var (line, content) in artifacts)
            {
                if (line.ContentFile == BundleFormat.BlobFileOf(content))
                {
                    await writer.AddBlobAsync(content, default);
                }
            }

            await using (var kind = await writer.OpenKindAsync(BundleKinds.Artifact, default))
            {
                foreach (var (line, _) in artifacts)
                {
                    // Written as JSON text so that a left-out expiry stays left out.
                    var text = JsonSerializer.SerializeToNode(line with { ExpiresAt = line.HasDefaultExpiry ? ArtifactLine.Expiry(null) : line.ExpiresAt }, BundleManifest.JsonOptions)!.AsObject();
                    foreach (var member in new[] { "bytes", "starred", "updatedAt", "expiresAt" })
                    {
                        if (member == "expiresAt" ? line.HasDefaultExpiry : text[member] is null)
                        {
                            text.Remove(member);
                        }
                    }

                    await kind.WriteLineAsync(Encoding.UTF8.GetBytes(text.ToJsonString()), default);
                }

                await kind.CompleteAsync(default);
            }

            await writer.CompleteAsync(default);
        }

        return zip.ToArray();
    }

    private static async Task<string> Upload(HttpClient client, string kind, string name, string contentType, byte[] content, string? parent = null)
    {
        var response = await client.SendAsync(ArtifactApiTests.Upload(kind, name, contentType, content, parent));
        await OkAsync(response);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private static async Task<List<string>> IdsAsync(HttpClient client, string? kind = null) =>
        [.. (await client.GetFromJsonAsync<JsonElement>("/api/v1/artifacts?limit=100" + (kind is null ? string.Empty : "&kind=" + kind))).GetProperty("data").EnumerateArray().Select(a => a.GetProperty("id").GetString()!)];

    private static async Task<JsonElement> View(HttpClient client, string id) => await client.GetFromJsonAsync<JsonElement>($"/api/v1/artifacts/{id}");

    private static List<string> Notes(JsonElement job) =>
        [.. job.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "artifact").GetProperty("notes").EnumerateArray().Select(n => n.GetProperty("reason").GetString()!)];

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("art-port-").FullName;

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
