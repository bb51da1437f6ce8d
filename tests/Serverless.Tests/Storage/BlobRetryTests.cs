using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Serverless.Storage.Blobs;
using Serverless.Storage.Payloads;

namespace Serverless.Tests.Storage;

/// <summary>
/// Blob requests whose first response is lost after the service acted on them: the pipeline retries, and the
/// retry meets the first attempt's effect. Callers must see the outcome they asked for, not an error.
/// </summary>
public sealed class BlobRetryTests : BlobTestBase
{
    private readonly LoseOneResponsePolicy lose = new();
    private BlobContainerClient flaky = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        flaky = Azurite.Container(Container.Name, options =>
        {
            options.Retry.Delay = TimeSpan.FromMilliseconds(10);
            options.AddPolicy(lose, HttpPipelinePosition.BeforeTransport);
        });
    }

    [Fact]
    public async Task PayloadDelete_ResponseLostAfterTheDelete_ReportsDeleted()
    {
        var reference = await new PayloadStore(Container).WriteAsync("u1/gone", new MemoryStream([1]), "application/octet-stream");
        lose.Next = m => m.Request.Method == RequestMethod.Delete;

        Assert.True(await new PayloadStore(flaky).DeleteAsync(reference));
        Assert.True(lose.Fired);
        Assert.Null(await PropertiesAsync(reference.BlobName));
    }

    [Fact]
    public async Task PayloadBlock_ResponseLost_ReplaysTheSameBytes()
    {
        lose.Next = m => m.Request.Uri.Query.Contains("comp=block&", StringComparison.Ordinal);
        var store = new PayloadStore(flaky, new PayloadStoreOptions { Codec = PayloadCodec.Identity, SingleUploadThreshold = 64 * 1024, BlockSize = 64 * 1024 });

        var reference = await store.WriteAsync("u1/replayed", new GeneratedStream(200_000), "application/octet-stream");

        Assert.True(lose.Fired);
        Assert.Equal(GeneratedStream.Bytes(200_000), await DownloadBytesAsync(reference.BlobName));
    }

    [Fact]
    public async Task LockAcquire_ResponseLost_StillGetsTheLock()
    {
        await UploadRawAsync("locks/leased", new MemoryStream());
        lose.Next = m => m.Request.Uri.Query.Contains("comp=lease", StringComparison.Ordinal);

        await using var held = await BlobLock.TryAcquireAsync(flaky, "locks/leased", TimeSpan.FromSeconds(15));

        Assert.True(lose.Fired);
        Assert.NotNull(held);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task PayloadWrite_CommitResponseLost_RecognizesItsOwnBlob(bool blocks)
    {
        var storeOptions = blocks ? new PayloadStoreOptions { SingleUploadThreshold = 1024, BlockSize = 1024 } : new PayloadStoreOptions();
        var store = new PayloadStore(flaky, storeOptions);
        lose.Next = m => m.Request.Method == RequestMethod.Put && !m.Request.Uri.Query.Contains("comp=block&", StringComparison.Ordinal);
        var text = string.Concat(Enumerable.Repeat("a payload worth keeping; ", 400)) + Guid.NewGuid();

        var reference = await store.WriteAsync("u1/msg", new MemoryStream(Encoding.UTF8.GetBytes(text)), "text/plain");

        Assert.True(lose.Fired);
        Assert.Equal(text, await store.ReadAllTextAsync(reference));
        Assert.Single(await ListAsync("u1/msg/"));
    }

    /// <summary>Lets the first matching request reach the service, then throws away its response as a dropped connection would.</summary>
    private sealed class LoseOneResponsePolicy : HttpPipelinePolicy
    {
        public Func<HttpMessage, bool>? Next { get; set; }

        public bool Fired { get; private set; }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
            ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            await ProcessNextAsync(message, pipeline);
            if (!Fired && Next is { } match && match(message))
            {
                Fired = true;
                throw new IOException("Simulated connection reset after the service answered.");
            }
        }
    }
}
