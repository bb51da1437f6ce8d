using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Serverless.Storage.Blobs;

namespace Serverless.Tests.Storage;

/// <summary>Apart from <see cref="BlobLockTests"/> so the two slow tests run in parallel.</summary>
public sealed class BlobLockLossTests : BlobTestBase
{
    [Fact]
    public async Task LockLost_FiresWhenTheLeaseIsBrokenAndTakenOver()
    {
        var duration = TimeSpan.FromSeconds(15);
        await using var held = await BlobLock.TryAcquireAsync(Container, "locks/stolen", duration);
        Assert.NotNull(held);
        var fired = new TaskCompletionSource();
        using var registration = held.LockLost.Register(() => fired.TrySetResult());

        await OtherClient().GetBlobClient("locks/stolen").GetBlobLeaseClient().BreakAsync(TimeSpan.Zero);
        await using var thief = await BlobLock.TryAcquireAsync(OtherClient(), "locks/stolen", duration);
        var winner = await Task.WhenAny(fired.Task, Task.Delay(duration));

        Assert.NotNull(thief);
        Assert.Same(fired.Task, winner);
        Assert.True(held.LockLost.IsCancellationRequested);
    }
}
