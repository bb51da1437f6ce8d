using Serverless.Storage.Blobs;
using Serverless.Storage.Payloads;
using Xunit.Abstractions;

namespace Serverless.Tests.Storage;

/// <summary>
/// Runs alone, after the parallel tests: allocation is counted process-wide, so nothing else may run meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BlobUploadMemoryGroup
{
    public const string Name = "blob upload memory";
}

[Collection(BlobUploadMemoryGroup.Name)]
public sealed class BlobUploadMemoryTests(ITestOutputHelper output) : BlobTestBase
{
    private const long ContentBytes = 64L * 1024 * 1024;

    [Fact]
    public async Task Upload_64MiBNonSeekableStream_AllocatesFarLessThanTheContent()
    {
        var options = new BlobUploadOptions { BlockSize = 4 * 1024 * 1024 };
        await Container.UploadAsync("warm-up", new GeneratedStream(6 * 1024 * 1024), options);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var result = await Container.UploadAsync("big.bin", new GeneratedStream(ContentBytes), options);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"upload of {ContentBytes} bytes allocated {allocated} bytes");

        Assert.Equal(ContentBytes, result.Length);
        Assert.Equal(16, result.BlockCount);
        Assert.Equal(ContentBytes, (await Container.GetPropertiesAsync("big.bin"))!.ContentLength);
        Assert.True(allocated < ContentBytes / 4, $"allocated {allocated} bytes to upload {ContentBytes}");
    }

    [Fact]
    public async Task PayloadWrite_32MiBIncompressibleStream_AllocatesFarLessThanTheContent()
    {
        const long length = 32L * 1024 * 1024;
        var store = new PayloadStore(Container, new PayloadStoreOptions { Codec = PayloadCodec.Brotli(1) });
        await store.WriteAsync("warm-up", new GeneratedStream(6 * 1024 * 1024), "application/octet-stream");

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var reference = await store.WriteAsync("big", new GeneratedStream(length), "application/octet-stream");
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        output.WriteLine($"payload write of {length} bytes ({reference.StoredBytes} stored) allocated {allocated} bytes");

        Assert.Equal(length, reference.RawBytes);
        Assert.True(reference.StoredBytes > 4 * 1024 * 1024);
        Assert.True(allocated < length / 4, $"allocated {allocated} bytes to write {length}");
    }
}
