using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Serverless.Storage;
using Serverless.Storage.Payloads;

namespace Serverless.Tests.Storage;

public sealed class PayloadStoreTests : BlobTestBase
{
    private static readonly string Json = string.Concat(Enumerable.Range(0, 500).Select(i =>
        $"{{\"role\":\"assistant\",\"seq\":{i},\"content\":\"Here is the weather for Paris over the next three days, day {i % 7}.\"}}\n"));

    private PayloadStore Store => new(Container);

    [Fact]
    public async Task WriteThenRead_Text_RoundTrips()
    {
        var reference = await Store.WriteAsync("u1/msg/t1", Utf8(Json), "application/x-ndjson");

        Assert.Equal(Json, await Store.ReadAllTextAsync(reference));
        Assert.Equal(Json, await Store.ReadAllTextAsync(reference.BlobName));
        await using var byName = await Store.OpenReadAsync(reference.BlobName);
        using var reader = new StreamReader(byName);
        Assert.Equal(Json, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Write_Text_StoresFewerBytesThanRaw()
    {
        var reference = await Store.WriteAsync("u1/msg/t1", Utf8(Json), "application/json");

        var stored = await PropertiesAsync(reference.BlobName);

        Assert.Equal(Encoding.UTF8.GetByteCount(Json), reference.RawBytes);
        Assert.True(reference.StoredBytes * 5 < reference.RawBytes, $"{reference.StoredBytes} stored for {reference.RawBytes} raw");
        Assert.Equal(reference.StoredBytes, stored!.ContentLength);
    }

    [Fact]
    public async Task Write_SameContentTwice_UsesFreshNames()
    {
        var first = await Store.WriteAsync("u1/msg/t1", Utf8(Json), "application/json");
        var second = await Store.WriteAsync("u1/msg/t1", Utf8(Json), "application/json");

        Assert.NotEqual(first.BlobName, second.BlobName);
        Assert.Equal(first.Sha256, second.Sha256);
        Assert.Equal(2, (await ListAsync("u1/msg/t1/")).Count);
        Assert.Matches("^u1/msg/t1/[0-9a-f]{32}\\.br$", first.BlobName);
    }

    [Fact]
    public async Task Write_Sha256_IsTheHashOfTheRawBytes()
    {
        var reference = await Store.WriteAsync("u1/art", Utf8(Json), "application/json");

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Json))), reference.Sha256);
    }

    [Fact]
    public async Task Write_RecordsTheCodecInNameContentEncodingAndMetadata()
    {
        var reference = await Store.WriteAsync("u1/art", Utf8(Json), "application/json");

        var stored = await PropertiesAsync(reference.BlobName);

        Assert.Equal(PayloadStoreOptions.DefaultCodec.Name, reference.Codec);
        Assert.EndsWith(PayloadStoreOptions.DefaultCodec.FileExtension, reference.BlobName, StringComparison.Ordinal);
        Assert.Equal(PayloadStoreOptions.DefaultCodec.ContentEncoding, stored!.ContentEncoding);
        Assert.Equal("application/json", stored.ContentType);
        Assert.Equal(reference.Codec, stored.Metadata["codec"]);
        Assert.Equal(reference.RawBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), stored.Metadata["rawbytes"]);
        Assert.Equal(reference.Sha256, stored.Metadata["sha256"]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Write_LongerThanABlock_StreamsInBlocksAndRoundTrips(bool text)
    {
        const int length = 600 * 1024;
        var store = new PayloadStore(Container, new PayloadStoreOptions { SingleUploadThreshold = 64 * 1024, BlockSize = 64 * 1024 });

        var reference = await store.WriteAsync("u1/big", new GeneratedStream(length, text: text), "application/octet-stream");
        await using var read = await store.OpenReadAsync(reference);
        using var copy = new MemoryStream();
        await read.CopyToAsync(copy);

        Assert.Equal(length, reference.RawBytes);
        Assert.Equal(GeneratedStream.Bytes(length, text: text), copy.ToArray());
        Assert.Equal(Convert.ToHexStringLower(GeneratedStream.Sha256(length, text: text)), reference.Sha256);
        if (text)
        {
            Assert.True(reference.StoredBytes < 64 * 1024);
        }
        else
        {
            Assert.True(reference.StoredBytes > 64 * 1024);
        }
    }

    [Fact]
    public async Task Write_EmptyContent_RoundTrips()
    {
        var reference = await Store.WriteAsync("u1/empty", new MemoryStream(), "text/plain");

        Assert.Equal(0, reference.RawBytes);
        Assert.Equal(string.Empty, await Store.ReadAllTextAsync(reference));
    }

    [Fact]
    public async Task Read_BlobWrittenElsewhereWithGzip_IsInflatedByItsContentEncoding()
    {
        using var gzipped = new MemoryStream();
        await using (var gzip = new GZipStream(gzipped, CompressionLevel.Optimal, leaveOpen: true))
        {
            await gzip.WriteAsync(Encoding.UTF8.GetBytes(Json));
        }

        gzipped.Position = 0;
        await UploadRawAsync("legacy/history-1.json.gz", gzipped, "gzip", "application/json");

        await using var read = await Store.OpenReadAsync("legacy/history-1.json.gz");
        using var reader = new StreamReader(read);

        Assert.Equal(Json, await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Read_WrittenWithAnotherCodec_IsReadByAStoreWithTheDefault()
    {
        var zlibStore = new PayloadStore(Container, new PayloadStoreOptions { Codec = PayloadCodec.ZLib(6) });
        var reference = await zlibStore.WriteAsync("u1/old", Utf8(Json), "application/json");

        Assert.EndsWith(".zz", reference.BlobName, StringComparison.Ordinal);
        Assert.Equal(Json, await Store.ReadAllTextAsync(reference));
    }

    [Fact]
    public async Task Read_BombWrittenElsewhere_IsRefusedWhileReading()
    {
        // 300 MiB of zeros brotli-compress (at the fastest level) to about 100 KB: past the default 1,000:1 ratio.
        const long bombBytes = 300L * 1024 * 1024;
        var bomb = CompressedZeros(bombBytes);
        await UploadRawAsync("evil/bomb.br", new MemoryStream(bomb), "br");

        await using var read = await Store.OpenReadAsync("evil/bomb.br");
        var (error, delivered) = await ReadUntilErrorAsync(read);

        var tooLarge = Assert.IsType<PayloadTooLargeException>(error);
        Assert.Equal("evil/bomb.br", tooLarge.BlobName);
        Assert.True(bomb.Length * PayloadStoreOptions.DefaultMaxExpansionRatio < bombBytes);
        Assert.Equal(bomb.Length * PayloadStoreOptions.DefaultMaxExpansionRatio, tooLarge.Limit);
        Assert.InRange(delivered, 1, tooLarge.Limit);
    }

    [Fact]
    public async Task Read_PastMaxExpandedBytes_IsRefusedEvenWithAGenerousRatio()
    {
        var bomb = CompressedZeros(3L * 1024 * 1024);
        await UploadRawAsync("evil/3mib.br", new MemoryStream(bomb), "br");
        var strict = new PayloadStore(Container, new PayloadStoreOptions { MaxExpandedBytes = 2 * 1024 * 1024, MaxExpansionRatio = int.MaxValue });

        await using var read = await strict.OpenReadAsync("evil/3mib.br");
        var (error, delivered) = await ReadUntilErrorAsync(read);

        Assert.IsType<PayloadTooLargeException>(error);
        Assert.InRange(delivered, 1, 2 * 1024 * 1024);
    }

    [Fact]
    public async Task OurOwnWellCompressingPayload_ReadsBackByReference_ButNotByNameAlone()
    {
        // 8 MiB of zeros compress far past the 1,000:1 ratio: the length the reference records (and the
        // read enforces exactly) is the limit, while a bare name only has the blob's word for it.
        var reference = await Store.WriteAsync("u1/zeros", new MemoryStream(new byte[8 * 1024 * 1024]), "application/octet-stream");
        Assert.True(reference.StoredBytes * PayloadStoreOptions.DefaultMaxExpansionRatio < reference.RawBytes);

        await using (var read = await Store.OpenReadAsync(reference))
        {
            var (error, delivered) = await ReadUntilErrorAsync(read);
            Assert.Null(error);
            Assert.Equal(reference.RawBytes, delivered);
        }

        await Assert.ThrowsAsync<PayloadTooLargeException>(() => Store.OpenReadAsync(reference.BlobName));
    }

    [Fact]
    public async Task Open_RecordedSizeOverTheLimit_IsRefusedAtOnce()
    {
        var reference = await Store.WriteAsync("u1/big", new GeneratedStream(3 * 1024 * 1024, text: true), "text/plain");
        var strict = new PayloadStore(Container, new PayloadStoreOptions { MaxExpandedBytes = 2 * 1024 * 1024 });

        await Assert.ThrowsAsync<PayloadTooLargeException>(() => strict.OpenReadAsync(reference));
        await Assert.ThrowsAsync<PayloadTooLargeException>(() => strict.OpenReadAsync(reference.BlobName));
    }

    [Fact]
    public async Task Read_ContentNotMatchingTheReference_ThrowsInvalidData()
    {
        var reference = await Store.WriteAsync("u1/msg", Utf8(Json), "application/json");
        var other = await Store.WriteAsync("u1/msg", Utf8(Json.ToUpperInvariant()), "application/json");

        var swapped = reference with { BlobName = other.BlobName };

        await Assert.ThrowsAsync<InvalidDataException>(() => Store.ReadAllTextAsync(swapped));
    }

    [Fact]
    public async Task Read_UnknownContentEncoding_ThrowsInvalidData()
    {
        await UploadRawAsync("odd/x.zst", new MemoryStream([1, 2, 3]), "zstd");

        await Assert.ThrowsAsync<InvalidDataException>(() => Store.OpenReadAsync("odd/x.zst"));
    }

    [Fact]
    public async Task Read_MissingBlob_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RequestFailedException>(() => Store.OpenReadAsync("u1/msg/none.br"));

        Assert.Equal(404, error.Status);
    }

    [Fact]
    public async Task Delete_RemovesTheBlob_ThenReportsItMissing()
    {
        var reference = await Store.WriteAsync("u1/msg", Utf8(Json), "application/json");

        Assert.True(await Store.DeleteAsync(reference));
        Assert.False(await Store.DeleteAsync(reference));
        Assert.Equal(404, (await Assert.ThrowsAsync<RequestFailedException>(() => Store.ReadAllTextAsync(reference))).Status);
    }

    /// <summary>
    /// A client that knows nothing of our store (a plain <see cref="Azure.Storage.Blobs.BlobClient"/>) reads a payload
    /// back by honouring the blob's Content-Encoding, and its metadata's length and hash check out.
    /// </summary>
    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("identity")]
    public async Task PayloadWeWrite_APlainBlobClientDownloadsAndInflatesPerContentEncoding(string family)
    {
        var codec = family switch { "br" => PayloadCodec.Brotli(4), "gzip" => PayloadCodec.GZip(6), "deflate" => PayloadCodec.ZLib(6), _ => PayloadCodec.Identity };
        var reference = await new PayloadStore(Container, new PayloadStoreOptions { Codec = codec }).WriteAsync("u1/plain", Utf8(Json), "application/json");
        var blob = Azurite.Connect().Blobs.GetBlobContainerClient(Container.Name).GetBlobClient(reference.BlobName);

        var streamed = (await blob.DownloadStreamingAsync()).Value;
        byte[] raw;
        using (var inflating = Inflate(streamed.Details.ContentEncoding, streamed.Content))
        using (var copy = new MemoryStream())
        {
            await inflating.CopyToAsync(copy);
            raw = copy.ToArray();
        }

        var whole = (await blob.DownloadContentAsync()).Value;
        using var wholeInflating = Inflate(whole.Details.ContentEncoding, whole.Content.ToStream());
        using var wholeReader = new StreamReader(wholeInflating, Encoding.UTF8);

        Assert.Equal(family, streamed.Details.ContentEncoding);
        Assert.Equal("application/json", streamed.Details.ContentType);
        Assert.Equal(Json, Encoding.UTF8.GetString(raw));
        Assert.Equal(Json, await wholeReader.ReadToEndAsync());
        Assert.Equal(reference.RawBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), streamed.Details.Metadata["rawbytes"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(raw)), streamed.Details.Metadata["sha256"]);
    }

    /// <summary>Decompresses per an HTTP Content-Encoding with the platform's codecs, as any reader would.</summary>
    private static Stream Inflate(string contentEncoding, Stream stored) => contentEncoding switch
    {
        "br" => new BrotliStream(stored, CompressionMode.Decompress),
        "gzip" => new GZipStream(stored, CompressionMode.Decompress),
        "deflate" => new ZLibStream(stored, CompressionMode.Decompress),
        "identity" => stored,
        _ => throw new InvalidDataException(contentEncoding),
    };

    [Theory]
    [InlineData("")]
    [InlineData("/leading")]
    [InlineData("trailing/")]
    public async Task Write_InvalidPrefix_ThrowsArgumentException(string prefix)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync(prefix, Utf8("x"), "text/plain"));
    }

    private static MemoryStream Utf8(string text) => new(Encoding.UTF8.GetBytes(text));

    /// <summary>Compresses <paramref name="length"/> zeros streaming, a 64 KiB chunk at a time.</summary>
    private static byte[] CompressedZeros(long length)
    {
        using var compressed = new MemoryStream();
        using (var brotli = new BrotliStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            var zeros = new byte[64 * 1024];
            for (long written = 0; written < length; written += zeros.Length)
            {
                brotli.Write(zeros, 0, (int)Math.Min(zeros.Length, length - written));
            }
        }

        return compressed.ToArray();
    }

    private static async Task<(Exception? Error, long Delivered)> ReadUntilErrorAsync(Stream stream)
    {
        var buffer = new byte[81920];
        long delivered = 0;
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer)) > 0)
            {
                delivered += read;
            }

            return (null, delivered);
        }
        catch (IOException e)
        {
            return (e, delivered);
        }
    }
}
