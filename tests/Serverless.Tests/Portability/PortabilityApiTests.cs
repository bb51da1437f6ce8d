using System.IO.Compression;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.Portability;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;
using Serverless.Tests.Lifecycle;

using static Serverless.Tests.Portability.PortabilityFlows;

namespace Serverless.Tests.Portability;

/// <summary>Export and import through the local server: round trip, idempotence, conflict policies, hostile bundles, ownership.</summary>
public sealed class PortabilityApiTests
{
    [Fact]
    public async Task EveryRegisteredKind_HasItsPlaceInBundles_AndEveryBundleKindIsExportedAndImported()
    {
        await using var app = await LifecycleApp.StartAsync();
        Assert.Equal(UserDataKinds.All.Select(k => k.Name).Order(), PortableKinds.All.Select(k => k.Kind.Name).Order());
        Assert.Equal(PortableKinds.BundleKindNames.Order(), app.Services.GetRequiredService<BundleExporter>().Kinds.Order());
        Assert.Equal(PortableKinds.BundleKindNames.Order(), app.Services.GetRequiredService<BundleImporter>().Kinds.Order());
    }

    [Fact]
    public async Task ExportThenImportIntoAnEmptyUser_ThenExportAgain_GivesTheSameContent_AndASecondImportChangesNothing()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await LifecycleApp.FillAsync(alice);

        var first = await ExportAsync(app, alice);
        var imported = await ImportAsync(app, bob, first, "skip");
        Assert.Equal("done", imported.GetProperty("state").GetString());
        var report = Report(imported);
        Assert.Equal((3, 0, 0), report["thread"]);
        Assert.Equal((9, 0, 0), report["message"]);
        Assert.Equal((1, 0, 0), report["summary"]);
        Assert.Equal((1, 0, 0), report["setting"]);
        Assert.Equal((1, 0, 0), report["mission"]);
        var note = imported.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "mission").GetProperty("notes")[0].GetProperty("reason").GetString();
        Assert.Contains("rotate-secret", note, StringComparison.Ordinal);

        var second = await ExportAsync(app, bob);
        await AssertSameContentAsync(first, second);
        await using (var reader = await BundleReader.OpenAsync(new MemoryStream(first), PortableKinds.BundleKindNames, BundleLimits.Default, default))
        {
            Assert.NotEmpty(reader.Manifest.Blobs);
        }

        // What users see: the same messages with the same sequence numbers, times and texts.
        Assert.Equal(await alice.GetStringAsync("/api/v1/threads/t1/messages?limit=100"), await bob.GetStringAsync("/api/v1/threads/t1/messages?limit=100"));
        Assert.Equal(await alice.GetStringAsync("/api/v1/threads/f1/messages?limit=100"), await bob.GetStringAsync("/api/v1/threads/f1/messages?limit=100"));
        Assert.Equal(await alice.GetStringAsync("/api/v1/threads?deleted=true"), await bob.GetStringAsync("/api/v1/threads?deleted=true"));

        // Importing the same bundle again: everything is skipped and nothing changes.
        var rowsBefore = Snapshot(await app.RowsAsync("bob"));
        var again = await ImportAsync(app, bob, first, "overwrite");
        var againReport = Report(again);
        Assert.All(againReport.Values, r => Assert.Equal(0, r.Imported));
        Assert.Equal((0, 3, 0), againReport["thread"]);
        Assert.Equal(rowsBefore, Snapshot(await app.RowsAsync("bob")));
    }

    [Fact]
    public async Task ConflictPolicies_Skip_Overwrite_KeepBoth_DecidePerThread_AndKeepBothIsIdempotent()
    {
        await using var app = await LifecycleApp.StartAsync();
        var carol = app.ClientFor("carol");
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/threads", new { id = "c1", title = "before" }));
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/threads/c1/messages/batch", new { messages = new[] { new { role = "user", content = "one" }, new { role = "assistant", content = "two" } } }));
        var bundle = await ExportAsync(app, carol);
        await OkAsync(await carol.PatchAsJsonAsync("/api/v1/threads/c1", new { title = "after" }));
        await OkAsync(await carol.PostAsJsonAsync("/api/v1/threads/c1/messages", new { role = "user", content = "three" }));

        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, carol, bundle, "skip"))["thread"]);
        Assert.Equal("after", (await Thread(carol, "c1")).GetProperty("title").GetString());

        var keepBoth = await ImportAsync(app, carol, bundle, "keepBoth");
        Assert.Equal((1, 0, 0), Report(keepBoth)["thread"]);
        var copyId = keepBoth.GetProperty("report")[0].GetProperty("notes")[0].GetProperty("reason").GetString()!.Split(' ')[2].TrimEnd(':');
        Assert.StartsWith("c1-", copyId, StringComparison.Ordinal);
        Assert.Equal("before", (await Thread(carol, copyId)).GetProperty("title").GetString());
        Assert.Equal(2, (await Thread(carol, copyId)).GetProperty("messageCount").GetInt64());
        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, carol, bundle, "keepBoth"))["thread"]);

        Assert.Equal((1, 0, 0), Report(await ImportAsync(app, carol, bundle, "overwrite"))["thread"]);
        var restored = await Thread(carol, "c1");
        Assert.Equal("before", restored.GetProperty("title").GetString());
        Assert.Equal(2, restored.GetProperty("messageCount").GetInt64());
        var messages = JsonDocument.Parse(await carol.GetStringAsync("/api/v1/threads/c1/messages")).RootElement.GetProperty("data");
        Assert.Equal(["one", "two"], messages.EnumerateArray().Select(m => m.GetProperty("content").GetString()));
        Assert.Equal(3, (await Thread(carol, "c1")).GetProperty("nextSequence").GetInt64());
    }

    [Fact]
    public async Task HostileBundles_AreRefusedWith422_OrFailTheirJob_AndWriteNothingVisible()
    {
        await using var app = await LifecycleApp.StartAsync();
        var dave = app.ClientFor("dave");

        var notZip = await PostAsync(dave, "not a zip"u8.ToArray());
        Assert.Equal("invalid_bundle", (await LifecycleApp.JsonAsync(notZip, HttpStatusCode.UnprocessableEntity)).GetProperty("code").GetString());
        var traversal = await PostAsync(dave, Zip(("../../etc/passwd", "x"u8.ToArray())));
        Assert.Contains("bundle_entry_name", (await LifecycleApp.JsonAsync(traversal, HttpStatusCode.UnprocessableEntity)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        var bomb = Zip((BundleFormat.KindFile("thread"), new byte[50 * 1024 * 1024]));
        Assert.Contains("bundle_zip_bomb", (await LifecycleApp.JsonAsync(await PostAsync(dave, bomb), HttpStatusCode.UnprocessableEntity)).GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Empty(await app.RowsAsync("dave"));

        using var wrongType = new ByteArrayContent(await BundleAsync([("thread", new ThreadLine("x", null, null, null, null, DateTimeOffset.UnixEpoch, null, null, null, null, null, null))]));
        wrongType.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        await LifecycleApp.JsonAsync(await dave.PostAsync("/api/v1/me/import", wrongType), HttpStatusCode.UnsupportedMediaType);
        await LifecycleApp.JsonAsync(await PostAsync(dave, await BundleAsync([]), "sometimes"), HttpStatusCode.BadRequest);

        // Valid structure, bad content: a message of a thread the bundle lacks, after a good thread. The job fails and writes nothing.
        var dangling = await BundleAsync(
        [
            ("thread", new ThreadLine("good", "fine", null, null, null, DateTimeOffset.UnixEpoch, null, null, null, null, null, null)),
            ("message", new MessageLine("missing", 1, null, "user", "hi", null, null, null, null, null, null, null, null, DateTimeOffset.UnixEpoch, null)),
        ]);
        var failed = await ImportAsync(app, dave, dangling, "skip");
        Assert.Equal("failed", failed.GetProperty("state").GetString());
        Assert.Equal("bundle_line", failed.GetProperty("errorCode").GetString());
        Assert.Contains("message.ndjson line 1", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        await LifecycleApp.JsonAsync(await dave.GetAsync("/api/v1/threads/good"), HttpStatusCode.NotFound);
        Assert.All(await app.RowsAsync("dave"), r => Assert.StartsWith("port|", r.RowKey, StringComparison.Ordinal));

        // A checksum that does not match: same length, other bytes.
        var good = await BundleAsync([("thread", new ThreadLine("good", "fine", null, null, null, DateTimeOffset.UnixEpoch, null, null, null, null, null, null))]);
        var tampered = Tamper(good, "kinds/thread.ndjson", "fine", "evil");
        var checksum = await ImportAsync(app, dave, tampered, "skip");
        Assert.Equal("bundle_checksum", checksum.GetProperty("errorCode").GetString());
        await LifecycleApp.JsonAsync(await dave.GetAsync("/api/v1/threads/good"), HttpStatusCode.NotFound);

        // Another user's job is not found.
        var eve = app.ClientFor("eve");
        await LifecycleApp.JsonAsync(await eve.GetAsync($"/api/v1/me/imports/{checksum.GetProperty("id").GetString()}"), HttpStatusCode.NotFound);
    }

    private static async Task<JsonElement> Thread(HttpClient client, string id) => JsonDocument.Parse(await client.GetStringAsync($"/api/v1/threads/{id}")).RootElement;

    private static byte[] Zip(params (string Name, byte[] Content)[] entries)
    {
        using var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = archive.CreateEntry(name, CompressionLevel.SmallestSize).Open();
                stream.Write(content);
            }
        }

        return zip.ToArray();
    }

    /// <summary>Rewrites one entry's text keeping its length, and copies the rest (manifest included) as they are.</summary>
    private static byte[] Tamper(byte[] bundle, string entry, string from, string to)
    {
        using var input = new ZipArchive(new MemoryStream(bundle), ZipArchiveMode.Read);
        return Zip([.. input.Entries.Select(e =>
        {
            using var reader = new StreamReader(e.Open());
            var text = reader.ReadToEnd();
            return (e.FullName, Encoding.UTF8.GetBytes(e.FullName == entry ? text.Replace(from, to, StringComparison.Ordinal) : text));
        })]);
    }
}
