using System.Security.Cryptography;
using System.Text;
using Serverless.Storage.Blobs;
using Serverless.Storage.Payloads;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

/// <summary>Our blob wire format and payload encoding, checked against Microsoft's official JavaScript SDK and Node's zlib.</summary>
public sealed class BlobInteropTests : BlobTestBase
{
    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    [InlineData("zlib")]
    public async Task CompressedPayloadWeWrite_TheOfficialSdkReadsAndInflates(string family)
    {
        var codec = family switch { "br" => PayloadCodec.Brotli(5), "gzip" => PayloadCodec.GZip(6), _ => PayloadCodec.ZLib(6) };
        var store = new PayloadStore(Container, new PayloadStoreOptions { Codec = codec, SingleUploadThreshold = 64 * 1024, BlockSize = 64 * 1024 });
        var text = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{{\"role\":\"user\",\"content\":\"line {i} ünïcödé 😀\"}}\n"));
        var raw = Encoding.UTF8.GetBytes(text);

        var reference = await store.WriteAsync("user1/messages/m1", new MemoryStream(raw), "application/x-ndjson");
        var read = await NodeScript.RunAsync("blobs.mjs", "read", Azurite.ConnectionString, Container.Name, reference.BlobName);

        Assert.Equal("application/x-ndjson", read.GetProperty("contentType").GetString());
        Assert.Equal(codec.ContentEncoding, read.GetProperty("contentEncoding").GetString());
        Assert.Equal(reference.StoredBytes, read.GetProperty("length").GetInt64());
        Assert.Equal(raw.Length, read.GetProperty("inflatedLength").GetInt64());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(raw)), read.GetProperty("inflatedSha256").GetString());
        Assert.Equal(reference.Sha256, read.GetProperty("metadata").GetProperty("sha256").GetString(), ignoreCase: true);
        Assert.Equal(raw.Length.ToString(), read.GetProperty("metadata").GetProperty("rawbytes").GetString());
    }

    [Fact]
    public async Task BlockUploadWeWrite_TheOfficialSdkDownloadsByteForByte()
    {
        var bytes = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        await Container.UploadAsync("big/blob.bin", new MemoryStream(bytes), new BlobUploadOptions
        {
            ContentType = "application/octet-stream",
            Metadata = new Dictionary<string, string> { ["kind"] = "artifact" },
            SingleUploadThreshold = 512 * 1024,
            BlockSize = 512 * 1024,
        });

        var read = await NodeScript.RunAsync("blobs.mjs", "read", Azurite.ConnectionString, Container.Name, "big/blob.bin");

        Assert.Equal(bytes.Length, read.GetProperty("length").GetInt64());
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes)), read.GetProperty("sha256").GetString());
        Assert.Equal("artifact", read.GetProperty("metadata").GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("br")]
    public async Task CompressedBlobTheOfficialSdkWrites_OurPayloadStoreInflates(string encoding)
    {
        var written = await NodeScript.RunAsync("blobs.mjs", "write", Azurite.ConnectionString, Container.Name, $"from-js/{encoding}.ndjson", encoding, (3 * 1024 * 1024).ToString());
        var store = new PayloadStore(Container);

        await using var stream = await store.OpenReadAsync($"from-js/{encoding}.ndjson");
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(written.GetProperty("rawLength").GetInt64(), copy.Length);
        Assert.Equal(written.GetProperty("rawSha256").GetString(), Convert.ToHexString(SHA256.HashData(copy.ToArray())));
    }

    [Fact]
    public async Task BlockBlobTheOfficialSdkWrites_WeDownloadWithPropertiesAndRanges()
    {
        var written = await NodeScript.RunAsync("blobs.mjs", "write", Azurite.ConnectionString, Container.Name, "from-js/plain.ndjson", "identity", (2 * 1024 * 1024 + 5).ToString());

        var whole = await DownloadBytesAsync("from-js/plain.ndjson");
        var properties = await Container.GetPropertiesAsync("from-js/plain.ndjson");
        var tail = await DownloadBytesAsync("from-js/plain.ndjson", new BlobRange(whole.Length - 10, 10));

        Assert.Equal(written.GetProperty("rawSha256").GetString(), Convert.ToHexString(SHA256.HashData(whole)));
        Assert.Equal("application/x-ndjson", properties!.ContentType);
        Assert.Equal("identity", properties.Metadata["codec"]);
        Assert.Equal(whole[^10..], tail);
    }
}
