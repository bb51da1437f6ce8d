using System.Diagnostics;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Serverless.Storage.Blobs;

namespace Serverless.Tests.Storage;

public sealed class BlobLockTests : BlobTestBase
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task TryAcquire_TwoContendersOnANewLock_OnlyOneGetsIt()
    {
        var contenders = await Task.WhenAll(
            BlobLock.TryAcquireAsync(Container, "locks/job", Duration),
            BlobLock.TryAcquireAsync(OtherClient(), "locks/job", Duration));

        try
        {
            Assert.Single(contenders, c => c is not null);
            Assert.Equal(LeaseState.Leased, (await PropertiesAsync("locks/job"))!.LeaseState);
        }
        finally
        {
            foreach (var held in contenders.OfType<BlobLock>())
            {
                await held.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Dispose_ReleasesSoTheOtherContenderGetsIt()
    {
        var first = await BlobLock.TryAcquireAsync(Container, "locks/job", Duration);
        Assert.NotNull(first);
        Assert.Null(await BlobLock.TryAcquireAsync(OtherClient(), "locks/job", Duration));

        await first.DisposeAsync();
        await using var second = await BlobLock.TryAcquireAsync(OtherClient(), "locks/job", Duration);

        Assert.NotNull(second);
        Assert.False(first.LockLost.IsCancellationRequested);
        Assert.NotEqual(first.LeaseId, second.LeaseId);
    }

    [Fact]
    public async Task TryAcquire_ExistingUnleasedLockBlob_Acquires()
    {
        await UploadRawAsync("locks/existing", new MemoryStream());

        await using var held = await BlobLock.TryAcquireAsync(Container, "locks/existing", Duration);

        Assert.NotNull(held);
    }

    [Fact]
    public async Task TryAcquire_InfiniteDuration_Throws()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => BlobLock.TryAcquireAsync(Container, "locks/x", Timeout.InfiniteTimeSpan));
    }

    /// <summary>15 s is the shortest lease the service grants, so proving renewal takes a little longer than that.</summary>
    [Fact]
    public async Task Renewal_KeepsTheLockPastTheLeaseDuration()
    {
        var clock = Stopwatch.StartNew();
        await using var held = await BlobLock.TryAcquireAsync(Container, "locks/long", Duration);
        Assert.NotNull(held);

        await Task.Delay(Duration + TimeSpan.FromSeconds(3));

        Assert.True(clock.Elapsed > Duration);
        Assert.Null(await BlobLock.TryAcquireAsync(OtherClient(), "locks/long", Duration));
        Assert.False(held.LockLost.IsCancellationRequested);
        Assert.Equal(LeaseState.Leased, (await PropertiesAsync("locks/long"))!.LeaseState);
    }
}
