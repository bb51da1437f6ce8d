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
