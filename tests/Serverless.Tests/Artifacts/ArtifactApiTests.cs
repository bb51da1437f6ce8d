using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Storage;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Artifacts;

/// <summary>
/// <c>/api/v1/artifacts</c> through the local server: upload with metadata headers, metadata reads and changes, lists,
/// downloads (ranges, conditional GET, br as stored, attachment headers), quota, idempotency, and another user's ids.
/// </summary>
public sealed class ArtifactApiTests : IAsyncLifetime
{
    private const int MaxUpload = 1024 * 1024;
    private const int Quota = 2 * 1024 * 1024;
    private static readonly byte[] Json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { state = Enumerable.Range(0, 500).Select(i => new { i, text = $"message {i}" }) }));
    private ApiFactory factory = null!;

    public async Task InitializeAsync() => factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Artifacts:MaxUploadBytes"] = MaxUpload.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Artifacts:MaxBytesPerUser"] = Quota.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Storage:ExpiryTable"] = Azurite.UniqueName("ae"),
        ["Storage:LifecycleTable"] = Azurite.UniqueName("al"),
    });

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task ASnapshotUpload_IsStoredCompressed_AndReadsBackAsUploaded()
    {
        using var client = factory.ClientFor("alice");

        var created = await client.SendAsync(Upload("snapshot", "état du panneau.json", "application/json", Json, parent: "thread:t1"));
        var view = await ViewAsync(created, HttpStatusCode.Created);
        var id = view.GetProperty("id").GetString()!;
        var metadata = await client.GetAsync($"/api/v1/artifacts/{id}");
        var download = await client.SendAsync(Get($"/api/v1/artifacts/{id}/content", ("Accept-Encoding", "identity")));

        Assert.Equal($"/api/v1/artifacts/{id}", created.Headers.Location?.ToString());
        Assert.Equal(("snapshot", "état du panneau.json", "application/json", "thread:t1", "br"),
            (view.GetProperty("kind").GetString(), view.GetProperty("name").GetString(), view.GetProperty("contentType").GetString(), view.GetProperty("parent").GetString(), view.GetProperty("storedEncoding").GetString()));
        Assert.Equal(Json.Length, view.GetProperty("bytes").GetInt64());
        Assert.True(view.GetProperty("storedBytes").GetInt64() < Json.Length / 3);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Json)), view.GetProperty("sha256").GetString());
        Assert.False(view.GetProperty("starred").GetBoolean());
        Assert.Equal(view.GetProperty("createdAt").GetDateTimeOffset().AddDays(30), view.GetProperty("expiresAt").GetDateTimeOffset());
        Assert.Equal(created.Headers.ETag, metadata.Headers.ETag);

        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(Json, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("application/json", download.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Json.Length, download.Content.Headers.ContentLength);
        Assert.Equal($"\"{view.GetProperty("sha256").GetString()}\"", download.Headers.ETag?.ToString());
        Assert.Equal("nosniff", Header(download, "X-Content-Type-Options"));
        Assert.Equal("bytes", Header(download, "Accept-Ranges"));
        Assert.Null(Header(download, "Content-Security-Policy"));
        Assert.Null(download.Content.Headers.ContentEncoding.FirstOrDefault());
        var disposition = download.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.Equal("état du panneau.json", disposition.FileNameStar);
    }

    [Fact]
    public async Task AClientAcceptingBr_GetsTheStoredBytes_WithTheirOwnETag()
    {
        using var client = factory.ClientFor("alice-br");
        var id = await UploadIdAsync(client, Upload("log", "run.ndjson", "application/x-ndjson", Json));

        var encoded = await client.SendAsync(Get($"/api/v1/artifacts/{id}/content", ("Accept-Encoding", "gzip, br")));
        var bytes = await encoded.Content.ReadAsByteArrayAsync();
        await using var inflating = new BrotliStream(new MemoryStream(bytes), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        await inflating.CopyToAsync(inflated);
        var notModified = await client.SendAsync(Get($"/api/v1/artifacts/{id}/content", ("Accept-Encoding", "br"), ("If-None-Match", encoded.Headers.ETag!.ToString())));
        var otherRepresentation = await client.SendAsync(Get($"/api/v1/artifacts/{id}/content", ("Accept-Encoding", "identity"), ("If-None-Match", encoded.Headers.ETag!.ToString())));

        Assert.Equal(HttpStatusCode.OK, encoded.StatusCode);
        Assert.Equal("br", encoded.Content.Headers.ContentEncoding.Single());
        Assert.Equal("Accept-Encoding", Header(encoded, "Vary"));
        Assert.EndsWith(".br\"", encoded.Headers.ETag.Tag, StringComparison.Ordinal);
        Assert.True(bytes.Length < Json.Length / 3);
        Assert.Equal(Json, inflated.ToArray());
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.OK, otherRepresentation.StatusCode);
    }

    [Fact]
    public async Task AJsonArtifact_IsNeverCompressedByTheJsonAnswerCompression_WholeOrInPart()
    {
        // The API compresses its own JSON answers for clients that accept gzip or br; an artifact that happens to be
        // JSON is content with byte ranges and an ETag of its own bytes, so it must go out as its bytes.
        using var client = factory.ClientFor("alice-json-bytes");
        var id = await UploadIdAsync(client, Upload("snapshot", "state.json", "application/json", Json));
        var url = $"/api/v1/artifacts/{id}/content";

        var whole = await client.SendAsync(Get(url, ("Accept-Encoding", "gzip")));
        var part = await client.SendAsync(Get(url, ("Accept-Encoding", "gzip, br"), ("Range", "bytes=0-99")));

        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Empty(whole.Content.Headers.ContentEncoding);
        Assert.Equal(Json, await whole.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
        Assert.Empty(part.Content.Headers.ContentEncoding);
        Assert.Equal(Json[..100], await part.Content.ReadAsByteArrayAsync());
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("image/png")]
    public async Task Ranges_FirstLastSuffixAndMiddle_Are206_PastTheEndIs416_SeveralAreTheWhole(string contentType)
    {
        using var client = factory.ClientFor("alice-range-" + contentType.Replace('/', '-'));
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 5000).Select(i => $"{i:D6}\n")));
        var id = await UploadIdAsync(client, Upload("attachment", "lines", contentType, content));
        var url = $"/api/v1/artifacts/{id}/content";
        var length = content.Length;

        foreach (var (range, first, last) in new[] { ("bytes=0-9", 0, 9), ($"bytes={length - 10}-", length - 10, length - 1), ("bytes=-7", length - 7, length - 1), ("bytes=1000-1999", 1000, 1999) })
        {
            var partial = await client.SendAsync(Get(url, ("Range", range)));
            Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
            Assert.Equal($"bytes {first}-{last}/{length}", partial.Content.Headers.ContentRange?.ToString());
            Assert.Equal(content[first..(last + 1)], await partial.Content.ReadAsByteArrayAsync());
            Assert.Null(partial.Content.Headers.ContentEncoding.FirstOrDefault());
        }

        var past = await client.SendAsync(Get(url, ("Range", $"bytes={length}-")));
        await ProblemAssert.IsProblemAsync(past, HttpStatusCode.RequestedRangeNotSatisfiable, "range_not_satisfiable");
        Assert.Equal($"bytes */{length}", past.Content.Headers.ContentRange?.ToString());

        var several = await client.SendAsync(Get(url, ("Range", "bytes=0-1,5-6"), ("Accept-Encoding", "identity")));
        Assert.Equal(HttpStatusCode.OK, several.StatusCode);
        Assert.Equal(content, await several.Content.ReadAsByteArrayAsync());

        var etag = several.Headers.ETag!.ToString();
        var current = await client.SendAsync(Get(url, ("Range", "bytes=0-3"), ("If-Range", etag)));
        var stale = await client.SendAsync(Get(url, ("Range", "bytes=0-3"), ("If-Range", "\"other\""), ("Accept-Encoding", "identity")));
        Assert.Equal(HttpStatusCode.PartialContent, current.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(length, (await stale.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task ConditionalGet_WithTheCurrentETag_Is304()
    {
        using var client = factory.ClientFor("alice-304");
        var id = await UploadIdAsync(client, Upload("attachment", "pic.png", "image/png", new byte[3000]));
        var url = $"/api/v1/artifacts/{id}/content";
        var first = await client.GetAsync(url);

        var same = await client.SendAsync(Get(url, ("If-None-Match", first.Headers.ETag!.ToString())));
        var any = await client.SendAsync(Get(url, ("If-None-Match", "*")));
        var other = await client.SendAsync(Get(url, ("If-None-Match", "\"something-else\"")));

        Assert.Equal(HttpStatusCode.NotModified, same.StatusCode);
        Assert.Equal(first.Headers.ETag, same.Headers.ETag);
        Assert.Empty(await same.Content.ReadAsByteArrayAsync());
        Assert.Equal(HttpStatusCode.NotModified, any.StatusCode);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal(3000, (await other.Content.ReadAsByteArrayAsync()).Length);
    }

    [Fact]
    public async Task ActiveContent_IsServedSandboxed_AsAnAttachment()
    {
        using var client = factory.ClientFor("alice-html");
        var id = await UploadIdAsync(client, Upload("export", "page.html", "text/html; charset=utf-8", Encoding.UTF8.GetBytes("<script>alert(1)</script>")));

        var download = await client.SendAsync(Get($"/api/v1/artifacts/{id}/content", ("Accept-Encoding", "identity")));

        Assert.Equal("sandbox", Header(download, "Content-Security-Policy"));
        Assert.Equal("nosniff", Header(download, "X-Content-Type-Options"));
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition?.DispositionType);
        Assert.Equal("text/html; charset=utf-8", download.Content.Headers.ContentType?.ToString());
    }

    [Fact]
    public async Task Lists_ByKindAndParent_PageNewestFirst_WithCursorsBoundToTheList()
    {
        using var client = factory.ClientFor("alice-list");
        var ids = new List<string>();
        foreach (var (kind, parent) in new[] { ("snapshot", "thread:a"), ("log", "thread:b"), ("snapshot", "thread:a"), ("log", "thread:a"), ("snapshot", "thread:b") })
        {
            ids.Add(await UploadIdAsync(client, Upload(kind, kind + ".txt", "text/plain", Encoding.UTF8.GetBytes(kind), parent)));
        }

        var newestFirst = Enumerable.Reverse(ids).ToList();
        var all = await PagesAsync(client, "/api/v1/artifacts?limit=2");
        var snapshots = await PagesAsync(client, "/api/v1/artifacts?kind=snapshot&limit=2");
        var ofB = await PagesAsync(client, "/api/v1/artifacts?parent=thread:b");
        var logsOfA = await PagesAsync(client, "/api/v1/artifacts?kind=log&parent=thread:a");
        var first = await client.GetFromJsonAsync<JsonElement>("/api/v1/artifacts?limit=2");
        var wrongList = await client.GetAsync($"/api/v1/artifacts?kind=log&cursor={Uri.EscapeDataString(first.GetProperty("nextCursor").GetString()!)}");
        var badKind = await client.GetAsync("/api/v1/artifacts?kind=Not%20A%20Kind");
        var ascending = await client.GetAsync("/api/v1/artifacts?order=asc");

        Assert.Equal(newestFirst, all);
        Assert.Equal([ids[4], ids[2], ids[0]], snapshots);
        Assert.Equal([ids[4], ids[1]], ofB);
        Assert.Equal([ids[3]], logsOfA);
        await ProblemAssert.IsProblemAsync(wrongList, HttpStatusCode.BadRequest, "invalid_cursor");
        await ProblemAssert.IsProblemAsync(badKind, HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(ascending, HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Patch_Renames_StarringRemovesTheExpiry_UnstarringRestoresIt_SettingAnExpiryUnstars()
    {
        using var client = factory.ClientFor("alice-patch");
        var created = await client.SendAsync(Upload("snapshot", "s.json", "application/json", Json));
        var view = await ViewAsync(created, HttpStatusCode.Created);
        var url = $"/api/v1/artifacts/{view.GetProperty("id").GetString()}";
        var defaultExpiry = view.GetProperty("expiresAt").GetDateTimeOffset();
        var later = DateTimeOffset.UtcNow.AddDays(90);

        var starred = await PatchAsync(client, url, new { name = "kept.json", starred = true }, created.Headers.ETag!.ToString());
        var stale = await PatchAsync(client, url, new { name = "x" }, created.Headers.ETag!.ToString());
        var unstarred = await PatchAsync(client, url, new { starred = false });
        var expiring = await PatchAsync(client, url, new { starred = true });
        expiring = await PatchAsync(client, url, new { expiresAt = later });
        var forever = await PatchAsync(client, url, new { expiresAt = (DateTimeOffset?)null });

        var starredView = await ViewAsync(starred, HttpStatusCode.OK);
        Assert.Equal(("kept.json", true, JsonValueKind.Null), (starredView.GetProperty("name").GetString(), starredView.GetProperty("starred").GetBoolean(), starredView.GetProperty("expiresAt").ValueKind));
        Assert.NotEqual(created.Headers.ETag, starred.Headers.ETag);
        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "precondition_failed");
        var unstarredView = await ViewAsync(unstarred, HttpStatusCode.OK);
        Assert.Equal((false, defaultExpiry), (unstarredView.GetProperty("starred").GetBoolean(), unstarredView.GetProperty("expiresAt").GetDateTimeOffset()));
        var expiringView = await ViewAsync(expiring, HttpStatusCode.OK);
        Assert.False(expiringView.GetProperty("starred").GetBoolean());
        Assert.Equal(later.ToUnixTimeSeconds(), expiringView.GetProperty("expiresAt").GetDateTimeOffset().ToUnixTimeSeconds());
        Assert.Equal(JsonValueKind.Null, (await ViewAsync(forever, HttpStatusCode.OK)).GetProperty("expiresAt").ValueKind);

        foreach (var body in new object[] { new { expiresAt = DateTimeOffset.UtcNow.AddDays(-1) }, new { starred = true, expiresAt = later }, new { name = "" }, new { expiresAt = "soon" } })
        {
            await ProblemAssert.IsProblemAsync(await PatchAsync(client, url, body), HttpStatusCode.BadRequest, "validation_failed");
        }

        await ProblemAssert.IsProblemAsync(await PatchAsync(client, url, new { kind = "log" }), HttpStatusCode.BadRequest, "validation_failed");
    }

    [Fact]
    public async Task Delete_RemovesTheRowsThenTheContent()
    {
        using var client = factory.ClientFor("alice-delete");
        var created = await client.SendAsync(Upload("recording", "events.ndjson", "application/x-ndjson", Json, parent: "thread:t9"));
        var id = (await ViewAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var url = $"/api/v1/artifacts/{id}";

        var stale = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, url) { Headers = { { "If-Match", "W/\"datetime'2000-01-01T00%3A00%3A00.0000000Z'\"" } } });
        var deleted = await client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, url) { Headers = { { "If-Match", created.Headers.ETag!.ToString() } } });
        var again = await client.DeleteAsync(url);

        await ProblemAssert.IsProblemAsync(stale, HttpStatusCode.PreconditionFailed, "precondition_failed");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await ProblemAssert.IsProblemAsync(again, HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(url), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await client.GetAsync(url + "/content"), HttpStatusCode.NotFound, "not_found");
        Assert.Empty(await PagesAsync(client, "/api/v1/artifacts?parent=thread:t9"));
        Assert.Empty(await BlobsOfAsync("alice-delete"));
    }

    [Fact]
    public async Task BadUploads_Are4xxProblems_AndWriteNothing()
    {
        using var client = factory.ClientFor("alice-bad");
        var noKind = Upload("snapshot", "a", "text/plain", [1]);
        noKind.Headers.Remove("Artifact-Kind");
        var encoded = Upload("log", "a.gz", "text/plain", [1]);
        encoded.Content!.Headers.ContentEncoding.Add("gzip");
        var starredAndExpiring = Upload("log", "a", "text/plain", [1]);
        starredAndExpiring.Headers.Add("Artifact-Starred", "true");
        starredAndExpiring.Headers.Add("Artifact-Expires-At", DateTimeOffset.UtcNow.AddDays(1).ToString("O"));
        var badKey = Upload("log", "a", "text/plain", [1]);
        badKey.Headers.TryAddWithoutValidation("Idempotency-Key", "has space");

        await ProblemAssert.IsProblemAsync(await client.SendAsync(noKind), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Upload("log", "", "text/plain", [1])), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Upload("Log", "a", "text/plain", [1])), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Upload("log", "a", "text/plain", [1], parent: "no spaces allowed")), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(starredAndExpiring), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(encoded), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(badKey), HttpStatusCode.BadRequest, "validation_failed");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(Upload("log", "big", "application/octet-stream", new byte[MaxUpload + 1])), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
        var chunkedTooBig = Upload("log", "big", "application/octet-stream", []);
        chunkedTooBig.Content = Chunked(new byte[MaxUpload + 1], "application/octet-stream");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(chunkedTooBig), HttpStatusCode.RequestEntityTooLarge, "payload_too_large");

        Assert.Empty(await PagesAsync(client, "/api/v1/artifacts"));
        Assert.Empty(await BlobsOfAsync("alice-bad"));
    }

    [Fact]
    public async Task TheQuota_RefusesWhatWouldExceedIt_WithA413_AndWritesNothing()
    {
        using var client = factory.ClientFor("alice-quota");
        await UploadIdAsync(client, Upload("attachment", "one", "application/octet-stream", new byte[MaxUpload]));
        var half = await UploadIdAsync(client, Upload("attachment", "two", "application/octet-stream", new byte[MaxUpload / 2]));

        var declared = await client.SendAsync(Upload("attachment", "three", "application/octet-stream", new byte[(MaxUpload / 2) + 1]));
        var chunked = Upload("attachment", "four", "application/octet-stream", []);
        chunked.Content = Chunked(new byte[(MaxUpload / 2) + 1], "application/octet-stream");
        var chunkedRefusal = await client.SendAsync(chunked);
        var fits = Upload("attachment", "five", "application/octet-stream", []);
        fits.Content = Chunked(new byte[MaxUpload / 2], "application/octet-stream");
        var fitting = await client.SendAsync(fits);
        var full = await client.SendAsync(Upload("attachment", "six", "application/octet-stream", [1]));

        var problem = await ProblemAssert.IsProblemAsync(declared, HttpStatusCode.RequestEntityTooLarge, "quota_exceeded");
        Assert.Contains($"{Quota}", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(chunkedRefusal, HttpStatusCode.RequestEntityTooLarge, "quota_exceeded");
        Assert.Equal(HttpStatusCode.Created, fitting.StatusCode);
        await ProblemAssert.IsProblemAsync(full, HttpStatusCode.RequestEntityTooLarge, "quota_exceeded");
        Assert.Equal(3, (await PagesAsync(client, "/api/v1/artifacts")).Count);
        Assert.Equal(3, (await BlobsOfAsync("alice-quota")).Count);

        // Deleting frees its bytes.
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/artifacts/{half}")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.SendAsync(Upload("attachment", "seven", "application/octet-stream", new byte[MaxUpload / 2]))).StatusCode);
    }

    [Fact]
    public async Task TheSameIdempotencyKey_ReplaysTheFirstUpload_AndAnotherBodyIs422()
    {
        using var client = factory.ClientFor("alice-idem");
        HttpRequestMessage Keyed(byte[] content)
        {
            var request = Upload("export", "e.json", "application/json", content);
            request.Headers.Add("Idempotency-Key", "export-1");
            return request;
        }

        var first = await client.SendAsync(Keyed(Json));
        var replay = await client.SendAsync(Keyed(Json));
        var reused = await client.SendAsync(Keyed(Encoding.UTF8.GetBytes("{\"other\":true}")));

        var id = (await ViewAsync(first, HttpStatusCode.Created)).GetProperty("id").GetString();
        Assert.Equal(id, (await ViewAsync(replay, HttpStatusCode.Created)).GetProperty("id").GetString());
        Assert.Equal("true", Header(replay, "Idempotent-Replayed"));
        await ProblemAssert.IsProblemAsync(reused, (HttpStatusCode)422, "idempotency_key_reused");
        Assert.Equal([id!], await PagesAsync(client, "/api/v1/artifacts"));
        Assert.Single(await BlobsOfAsync("alice-idem"));
    }

    [Fact]
    public async Task AnotherUsersArtifact_Is404OnEveryRoute_AndStaysUnchanged()
    {
        using var alice = factory.ClientFor("owner-alice");
        using var bob = factory.ClientFor("owner-bob");
        var created = await alice.SendAsync(Upload("snapshot", "mine.json", "application/json", Json, parent: "thread:x"));
        var id = (await ViewAsync(created, HttpStatusCode.Created)).GetProperty("id").GetString()!;
        var url = $"/api/v1/artifacts/{id}";

        await ProblemAssert.IsProblemAsync(await bob.GetAsync(url), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.GetAsync(url + "/content"), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await PatchAsync(bob, url, new { name = "stolen", starred = true }), HttpStatusCode.NotFound, "not_found");
        await ProblemAssert.IsProblemAsync(await bob.DeleteAsync(url), HttpStatusCode.NotFound, "not_found");
        Assert.Empty(await PagesAsync(bob, "/api/v1/artifacts?parent=thread:x"));
        Assert.Empty(await PagesAsync(bob, "/api/v1/artifacts"));

        var after = await ViewAsync(await alice.GetAsync(url), HttpStatusCode.OK);
        Assert.Equal(("mine.json", false), (after.GetProperty("name").GetString(), after.GetProperty("starred").GetBoolean()));
        Assert.Equal(Json, await (await alice.SendAsync(Get(url + "/content", ("Accept-Encoding", "identity")))).Content.ReadAsByteArrayAsync());
    }

    internal static HttpRequestMessage Upload(string kind, string name, string contentType, byte[] content, string? parent = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/artifacts") { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("Artifact-Kind", kind);
        request.Headers.Add("Artifact-Name", Uri.EscapeDataString(name));
        if (parent is not null)
        {
            request.Headers.Add("Artifact-Parent", parent);
        }

        return request;
    }

    private static HttpRequestMessage Get(string url, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        return request;
    }

    /// <summary>A body of unknown length: sent chunked, without Content-Length.</summary>
    private static StreamContent Chunked(byte[] content, string contentType)
    {
        var body = new StreamContent(new UnknownLengthStream(content));
        body.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return body;
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) || response.Content.Headers.TryGetValues(name, out values) ? string.Join(", ", values) : null;

    private static async Task<JsonElement> ViewAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static async Task<string> UploadIdAsync(HttpClient client, HttpRequestMessage upload) =>
        (await ViewAsync(await client.SendAsync(upload), HttpStatusCode.Created)).GetProperty("id").GetString()!;

    private static Task<HttpResponseMessage> PatchAsync(HttpClient client, string url, object body, string? ifMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, url) { Content = JsonContent.Create(body) };
        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        return client.SendAsync(request);
    }

    private static async Task<List<string>> PagesAsync(HttpClient client, string url)
    {
        var ids = new List<string>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>(cursor is null ? url : $"{url}{(url.Contains('?', StringComparison.Ordinal) ? '&' : '?')}cursor={Uri.EscapeDataString(cursor)}");
            ids.AddRange(page.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("id").GetString()!));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);

        return ids;
    }

    private async Task<List<string>> BlobsOfAsync(string userId)
    {
        var container = factory.Services.GetRequiredService<AppContainers>().Payloads;
        return await container.ListNamesAsync(Serverless.Storage.Users.UserPartition.For(userId).Key + "/");
    }

    /// <summary>A readable stream that will not say how long it is.</summary>
    private sealed class UnknownLengthStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}
