using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serverless.Bundles;

namespace Serverless.Tests.Bundles;

/// <summary>The format library on its own: what a writer makes a reader reads back, and every hostile bundle the spec names is refused with its code.</summary>
public sealed class BundleReaderTests
{
    private static readonly HashSet<string> Known = ["thread", "message"];

    [Fact]
    public async Task A_written_bundle_reads_back_line_for_line_with_its_blobs()
    {
        var text = new string('x', 20_000);
        using var zip = new MemoryStream();
        string blobFile;
        await using (var writer = await BundleWriter.CreateAsync(zip, new BundleSource("test"), DateTimeOffset.UnixEpoch, default))
        {
            blobFile = (await writer.AddBlobAsync(Encoding.UTF8.GetBytes(text), default)).File;
            await using (var threads = await writer.OpenKindAsync("thread", default))
            {
                await threads.WriteAsync(new { id = "t1", createdAt = DateTimeOffset.UnixEpoch }, default);
                await threads.WriteAsync(new { id = "t2", createdAt = DateTimeOffset.UnixEpoch }, default);
                await threads.CompleteAsync(default);
            }

            using var messages = new MemoryStream(Encoding.UTF8.GetBytes($"{{\"threadId\":\"t1\",\"contentFile\":\"{blobFile}\"}}\n"));
            await writer.AddKindAsync("message", messages, default);
            var manifest = await writer.CompleteAsync(default);
            Assert.Equal([2L, 1L], manifest.Kinds.Select(k => k.Count));
        }

        zip.Position = 0;
        await using var reader = await BundleReader.OpenAsync(zip, Known, BundleLimits.Default, default);
        Assert.Equal("test", reader.Manifest.Source.App);
        var ids = new List<string>();
        await foreach (var line in reader.ReadLinesAsync("thread", default))
        {
            ids.Add(JsonDocument.Parse(line.Json).RootElement.GetProperty("id").GetString()!);
        }

        Assert.Equal(["t1", "t2"], ids);
        Assert.Equal(text, Encoding.UTF8.GetString(await reader.ReadBlobAsync(blobFile, 1 << 20, default)));
        await reader.VerifyBlobsAsync(default);
        Assert.Equal("2026-11-30T13:00:00.0000000Z", BundleFormat.Timestamp(new DateTimeOffset(2026, 11, 30, 14, 0, 0, TimeSpan.FromHours(1))));
    }

    [Fact]
    public void Optional_members_may_be_absent_or_null_but_required_ones_and_unknown_ones_are_refused()
    {
        var minimal = BundleReader.Parse<ThreadLine>("thread", Line("""{"id":"t1","createdAt":"2026-11-30T13:00:00Z"}"""));
        Assert.Equal(("t1", null, null, null), (minimal.Id, minimal.Title, minimal.ParentThreadId, minimal.NextSequence));
        var nulls = BundleReader.Parse<ThreadLine>("thread", Line("""{"id":"t1","title":null,"starred":null,"createdAt":"2026-11-30T13:00:00Z"}"""));
        Assert.Equal(minimal, nulls);

        var noCreatedAt = Assert.Throws<BundleException>(() => BundleReader.Parse<ThreadLine>("thread", Line("""{"id":"t1"}""")));
        Assert.Equal(BundleErrors.Line, noCreatedAt.Code);
        Assert.Contains("kinds/thread.ndjson line 7", noCreatedAt.Message, StringComparison.Ordinal);
        Assert.Equal(BundleErrors.Line, Assert.Throws<BundleException>(() => BundleReader.Parse<ThreadLine>("thread", Line("""{"id":null,"createdAt":"2026-11-30T13:00:00Z"}"""))).Code);
        Assert.Equal(BundleErrors.Line, Assert.Throws<BundleException>(() => BundleReader.Parse<ThreadLine>("thread", Line("""{"id":"t1","createdAt":"2026-11-30T13:00:00Z","titel":"x"}"""))).Code);
    }

    private static BundleLine Line(string json) => new(7, Encoding.UTF8.GetBytes(json));

    [Theory]
    [InlineData("../evil.ndjson")]
    [InlineData("/etc/passwd")]
    [InlineData("kinds/../../x.ndjson")]
    [InlineData("kinds\\thread.ndjson")]
    [InlineData("C:/thread.ndjson")]
    [InlineData("kinds/")]
    [InlineData("blobs/ABCDEF")]
    public async Task Names_outside_the_format_are_refused(string name)
    {
        var error = await RefusedAsync(Build(extra: (name, "x"u8.ToArray())));
        Assert.Equal(BundleErrors.EntryName, error.Code);
    }

    [Fact]
    public async Task An_entry_the_manifest_does_not_list_is_refused()
    {
        var blob = "hello"u8.ToArray();
        var error = await RefusedAsync(Build(extra: (BundleFormat.BlobFileOf(blob), blob)));
        Assert.Equal(BundleErrors.UnlistedEntry, error.Code);
    }

    [Fact]
    public async Task A_file_whose_bytes_differ_from_the_manifest_fails_its_checksum_when_read()
    {
        var lines = "{\"id\":\"a\"}\n"u8.ToArray();
        var tampered = "{\"id\":\"b\"}\n"u8.ToArray();
        var zip = Build(kinds: [("thread", tampered, Sha(lines), lines.Length, 1)]);
        await using var reader = await BundleReader.OpenAsync(zip, Known, BundleLimits.Default, default);
        var error = await Assert.ThrowsAsync<BundleException>(async () => await DrainAsync(reader, "thread"));
        Assert.Equal(BundleErrors.Checksum, error.Code);
    }

    [Fact]
    public async Task A_blob_streams_whole_and_checked_and_one_whose_bytes_differ_fails_at_its_end()
    {
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 7);
        var tampered = content.ToArray();
        tampered[^1] ^= 1;
        foreach (var (stored, ok) in new[] { (content, true), (tampered, false) })
        {
            var file = BundleFormat.BlobFile(Sha(content));
            var zip = Build(extra: (file, stored), manifest: m => m.Replace("\"blobs\":[]", $"\"blobs\":[{{\"file\":\"{file}\",\"sha256\":\"{Sha(content)}\",\"bytes\":{content.Length}}}]", StringComparison.Ordinal));
            await using var reader = await BundleReader.OpenAsync(zip, Known, BundleLimits.Default, default);
            await using var blob = await reader.OpenBlobAsync(file, default);
            using var copy = new MemoryStream();
            if (ok)
            {
                await blob.CopyToAsync(copy);
                Assert.Equal(content, copy.ToArray());
            }
            else
            {
                Assert.Equal(BundleErrors.Checksum, (await Assert.ThrowsAsync<BundleException>(() => blob.CopyToAsync(copy))).Code);
            }
        }
    }

    [Fact]
    public async Task A_line_count_that_differs_from_the_manifest_fails()
    {
        var lines = "{\"id\":\"a\"}\n"u8.ToArray();
        await using var reader = await BundleReader.OpenAsync(Build(kinds: [("thread", lines, Sha(lines), lines.Length, 2)]), Known, BundleLimits.Default, default);
        Assert.Equal(BundleErrors.Checksum, (await Assert.ThrowsAsync<BundleException>(async () => await DrainAsync(reader, "thread"))).Code);
    }

    [Fact]
    public async Task A_zip_bomb_is_refused_before_a_byte_is_inflated()
    {
        var zeros = new byte[64 * 1024 * 1024];
        var error = await RefusedAsync(Build(kinds: [("thread", zeros, Sha(zeros), zeros.Length, 0)], level: CompressionLevel.SmallestSize));
        Assert.Equal(BundleErrors.ZipBomb, error.Code);
    }

    [Fact]
    public async Task Too_many_uncompressed_bytes_or_entries_are_refused()
    {
        var lines = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"id\":\"a\"}\n", 1000)));
        var zip = Build(kinds: [("thread", lines, Sha(lines), lines.Length, 1000)]);
        Assert.Equal(BundleErrors.TooLarge, (await RefusedAsync(zip, new BundleLimits(100, 1000, 200))).Code);
        zip.Position = 0;
        Assert.Equal(BundleErrors.TooLarge, (await RefusedAsync(zip, new BundleLimits(1, 1L << 30, 200))).Code);
    }

    [Fact]
    public async Task A_line_over_4_MiB_is_refused_without_reading_it_whole()
    {
        var line = Encoding.UTF8.GetBytes("{\"id\":\"" + new string('a', BundleFormat.MaxLineBytes) + "\"}\n");
        await using var reader = await BundleReader.OpenAsync(Build(kinds: [("thread", line, Sha(line), line.Length, 1)]), Known, BundleLimits.Default, default);
        Assert.Equal(BundleErrors.LineTooLong, (await Assert.ThrowsAsync<BundleException>(async () => await DrainAsync(reader, "thread"))).Code);
    }

    [Theory]
    [InlineData("{\"id\":\"a\"}")]
    [InlineData("{\"id\":\"a\"}\r\n")]
    [InlineData("\n")]
    [InlineData("[1]\n")]
    public async Task Lines_framed_wrongly_are_refused(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        await using var reader = await BundleReader.OpenAsync(Build(kinds: [("thread", bytes, Sha(bytes), bytes.Length, 1)]), Known, BundleLimits.Default, default);
        Assert.Equal(BundleErrors.Line, (await Assert.ThrowsAsync<BundleException>(async () => await DrainAsync(reader, "thread"))).Code);
    }

    [Fact]
    public async Task Unknown_kinds_versions_and_formats_are_named()
    {
        var lines = "{\"id\":\"a\"}\n"u8.ToArray();
        var unknown = await RefusedAsync(Build(kinds: [("memory", lines, Sha(lines), lines.Length, 1)]));
        Assert.Equal(BundleErrors.UnknownKind, unknown.Code);
        Assert.Contains("memory", unknown.Message, StringComparison.Ordinal);
        Assert.Equal(BundleErrors.Version, (await RefusedAsync(Build(manifest: m => m.Replace("\"version\":1", "\"version\":2", StringComparison.Ordinal)))).Code);
        Assert.Equal(BundleErrors.Version, (await RefusedAsync(Build(manifest: m => m.Replace(BundleFormat.Name, "other", StringComparison.Ordinal)))).Code);
        Assert.Equal(BundleErrors.Manifest, (await RefusedAsync(Build(manifest: m => m.Replace("\"kinds\"", "\"kindz\"", StringComparison.Ordinal)))).Code);
        Assert.Equal(BundleErrors.Manifest, (await RefusedAsync(Build(manifest: _ => "{\"format\":\"serverless-bundle\",\"version\":1,"))).Code);
    }

    [Fact]
    public async Task A_listed_file_that_is_missing_and_a_file_that_is_not_a_zip_are_refused()
    {
        var lines = "{\"id\":\"a\"}\n"u8.ToArray();
        var missing = Build(kinds: [("thread", lines, Sha(lines), lines.Length, 1)], omitKindEntries: true);
        Assert.Equal(BundleErrors.MissingEntry, (await RefusedAsync(missing)).Code);
        Assert.Equal(BundleErrors.NotZip, (await RefusedAsync(new MemoryStream("not a zip at all"u8.ToArray()))).Code);
        Assert.Equal(BundleErrors.Manifest, (await RefusedAsync(BuildRaw([("kinds/thread.ndjson", lines)]))).Code);
    }

    private static async Task<BundleException> RefusedAsync(Stream zip, BundleLimits? limits = null) =>
        await Assert.ThrowsAsync<BundleException>(async () => await (await BundleReader.OpenAsync(zip, Known, limits ?? BundleLimits.Default, default)).DisposeAsync());

    private static async Task DrainAsync(BundleReader reader, string kind)
    {
        await foreach (var _ in reader.ReadLinesAsync(kind, default))
        {
        }
    }

    private static string Sha(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>A bundle assembled by hand (not by <see cref="BundleWriter"/>), so that it can lie.</summary>
    private static MemoryStream Build(
        (string Kind, byte[] Content, string Sha, long Bytes, long Count)[]? kinds = null,
        (string Name, byte[] Content)? extra = null,
        Func<string, string>? manifest = null,
        CompressionLevel level = CompressionLevel.Fastest,
        bool omitKindEntries = false)
    {
        kinds ??= [];
        var entries = new List<(string, byte[])>();
        if (!omitKindEntries)
        {
            entries.AddRange(kinds.Select(k => (BundleFormat.KindFile(k.Kind), k.Content)));
        }

        if (extra is { } e)
        {
            entries.Add((e.Name, e.Content));
        }

        var kindsJson = string.Join(",", kinds.Select(k => $"{{\"kind\":\"{k.Kind}\",\"file\":\"{BundleFormat.KindFile(k.Kind)}\",\"count\":{k.Count},\"bytes\":{k.Bytes},\"sha256\":\"{k.Sha}\"}}"));
        var json = $"{{\"format\":\"{BundleFormat.Name}\",\"version\":1,\"createdAt\":\"2026-01-01T00:00:00Z\",\"source\":{{\"app\":\"t\"}},\"kinds\":[{kindsJson}],\"blobs\":[]}}";
        entries.Add((BundleFormat.ManifestEntry, Encoding.UTF8.GetBytes((manifest ?? (m => m))(json))));
        return BuildRaw(entries, level);
    }

    private static MemoryStream BuildRaw(IEnumerable<(string Name, byte[] Content)> entries, CompressionLevel level = CompressionLevel.Fastest)
    {
        var zip = new MemoryStream();
        using (var archive = new ZipArchive(zip, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, content) in entries)
            {
                using var stream = archive.CreateEntry(name, level).Open();
                stream.Write(content);
            }
        }

        zip.Position = 0;
        return zip;
    }
}
