using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;
using Serverless.Storage.Blobs;
using Serverless.Storage.Http;
using Serverless.Storage.Payloads;

namespace Serverless.Tests.Storage;

/// <summary>
/// Requests whose first response is lost after the service acted on them: the pipeline retries, and the
/// retry meets the first attempt's effect. Callers must see the outcome they asked for, not an error.
/// </summary>
public sealed class BlobRetryTests : BlobTestBase
{
    private readonly LoseOneResponsePolicy lose = new();
    private BlobContainerClient flaky = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        var options = new StorageClientOptions();
        options.Retry.Delay = TimeSpan.FromMilliseconds(10);
        options.AddPolicy(lose, HttpPipelinePosition.BeforeTransport);
        flaky = new BlobContainerClient(Azurite.Connection, Container.Name, options);
    }

    [Fact]
    public async Task Delete_ResponseLostAfterTheDelete_ReportsDeleted()
    {
        await Container.UploadAsync("gone", new MemoryStream([1]));
        lose.Next = m => m.Request.Method == RequestMethod.Delete;

        Assert.True(await flaky.DeleteAsync("gone"));
        Assert.True(lose.Fired);
    }

    [Fact]
    public async Task PutBlock_ResponseLost_ReplaysTheSameBytes()
    {
        lose.Next = m => m.Request.Uri.Query.Contains("comp=block&", StringComparison.Ordinal);
        var options = new BlobUploadOptions { SingleUploadThreshold = 64 * 1024, BlockSize = 64 * 1024 };

        await flaky.UploadAsync("replayed", new GeneratedStream(200_000), options);

        Assert.True(lose.Fired);
        Assert.Equal(GeneratedStream.Bytes(200_000), await DownloadBytesAsync("replayed"));
    }

    [Fact]
    public async Task AcquireLease_ResponseLost_StillGetsTheLease()
    {
        await Container.UploadAsync("leased", new MemoryStream([1]));
        lose.Next = m => m.Request.Uri.Query.Contains("comp=lease", StringComparison.Ordinal);

        var leaseId = await flaky.AcquireLeaseAsync("leased", TimeSpan.FromSeconds(15));

        Assert.True(lose.Fired);
        await Container.ReleaseLeaseAsync("leased", leaseId);
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
        Assert.Single(await Container.ListAllAsync("u1/msg/"));
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
