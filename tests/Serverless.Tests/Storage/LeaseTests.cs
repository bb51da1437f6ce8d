using Serverless.Storage;
using Serverless.Storage.Blobs;

namespace Serverless.Tests.Storage;

public sealed class LeaseTests : BlobTestBase
{
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(15);

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        await Container.UploadAsync("leased", new MemoryStream([1]));
    }

    [Fact]
    public async Task Acquire_WhileHeld_SecondAcquireIsRefused()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        var error = await Assert.ThrowsAsync<StorageException>(() => OtherClient().AcquireLeaseAsync("leased", Duration));
        var tried = await OtherClient().TryAcquireLeaseAsync("leased", Duration);

        Assert.True(Guid.TryParse(leaseId, out _));
        Assert.True(error.IsConflict);
        Assert.Equal("LeaseAlreadyPresent", error.ErrorCode);
        Assert.Null(tried);
        Assert.Equal("leased", (await Container.GetPropertiesAsync("leased"))!.LeaseState);
    }

    [Fact]
    public async Task Acquire_AgainWithTheHeldId_Succeeds()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        var again = await Container.AcquireLeaseAsync("leased", Duration, leaseId);

        Assert.Equal(leaseId, again);
    }

    [Fact]
    public async Task Acquire_ProposedId_IsTheLeaseId()
    {
        var proposed = Guid.NewGuid().ToString();

        Assert.Equal(proposed, await Container.AcquireLeaseAsync("leased", Duration, proposed));
    }

    [Fact]
    public async Task Acquire_MissingBlob_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Container.TryAcquireLeaseAsync("missing", Duration));

        Assert.True(error.IsNotFound);
    }

    [Theory]
    [InlineData(14)]
    [InlineData(61)]
    [InlineData(0)]
    public async Task Acquire_DurationOutOfRange_ThrowsArgumentOutOfRange(int seconds)
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Container.AcquireLeaseAsync("leased", TimeSpan.FromSeconds(seconds)));
    }

    [Fact]
    public async Task Acquire_Infinite_HoldsUntilReleased()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Timeout.InfiniteTimeSpan);

        Assert.Null(await OtherClient().TryAcquireLeaseAsync("leased", Duration));
        await Container.ReleaseLeaseAsync("leased", leaseId);
        Assert.NotNull(await OtherClient().TryAcquireLeaseAsync("leased", Duration));
    }

    [Fact]
    public async Task WriteAndDelete_LeasedBlobWithoutLeaseId_Throw412_WithLeaseIdSucceed()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        var upload = await Assert.ThrowsAsync<StorageException>(() => Container.UploadAsync("leased", new MemoryStream([2])));
        var delete = await Assert.ThrowsAsync<StorageException>(() => Container.DeleteAsync("leased"));
        var wrongId = await Assert.ThrowsAsync<StorageException>(() =>
            Container.UploadAsync("leased", new MemoryStream([2]), new BlobUploadOptions { LeaseId = Guid.NewGuid().ToString() }));
        await Container.UploadAsync("leased", new MemoryStream([3]), new BlobUploadOptions { LeaseId = leaseId });

        Assert.True(upload.IsPreconditionFailed);
        Assert.Equal("LeaseIdMissing", upload.ErrorCode);
        Assert.True(delete.IsPreconditionFailed);
        Assert.True(wrongId.IsPreconditionFailed);
        Assert.Equal([3], await DownloadBytesAsync("leased"));
        Assert.True(await Container.DeleteAsync("leased", leaseId: leaseId));
    }

    [Fact]
    public async Task BlockUpload_LeasedBlob_NeedsTheLeaseId()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);
        var options = new BlobUploadOptions { SingleUploadThreshold = 1024, BlockSize = 1024 };

        var error = await Assert.ThrowsAsync<StorageException>(() => Container.UploadAsync("leased", new GeneratedStream(5000), options));
        options.LeaseId = leaseId;
        var result = await Container.UploadAsync("leased", new GeneratedStream(5000), options);

        Assert.True(error.IsPreconditionFailed);
        Assert.Equal(5, result.BlockCount);
        Assert.Equal(GeneratedStream.Bytes(5000), await DownloadBytesAsync("leased"));
    }

    [Fact]
    public async Task Release_LetsAnotherClientAcquire()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        await Container.ReleaseLeaseAsync("leased", leaseId);
        var other = await OtherClient().TryAcquireLeaseAsync("leased", Duration);

        Assert.NotNull(other);
        Assert.NotEqual(leaseId, other);
    }

    [Fact]
    public async Task Renew_WithTheHeldId_Succeeds_WithAnotherIdThrowsConflict()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        await Container.RenewLeaseAsync("leased", leaseId);
        var error = await Assert.ThrowsAsync<StorageException>(() => Container.RenewLeaseAsync("leased", Guid.NewGuid().ToString()));

        Assert.True(error.IsConflict);
    }

    [Fact]
    public async Task Break_WithZeroPeriod_LetsAnotherAcquireAndTheOldIdCannotRenew()
    {
        var leaseId = await Container.AcquireLeaseAsync("leased", Duration);

        var remaining = await OtherClient().BreakLeaseAsync("leased", TimeSpan.Zero);
        var other = await OtherClient().TryAcquireLeaseAsync("leased", Duration);
        var error = await Assert.ThrowsAsync<StorageException>(() => Container.RenewLeaseAsync("leased", leaseId));

        Assert.Equal(TimeSpan.Zero, remaining);
        Assert.NotNull(other);
        Assert.True(error.IsConflict);
    }

    [Fact]
    public async Task Break_WithPeriod_KeepsOthersOutUntilItEnds()
    {
        await Container.AcquireLeaseAsync("leased", Duration);

        var remaining = await OtherClient().BreakLeaseAsync("leased", TimeSpan.FromSeconds(10));

        Assert.InRange(remaining, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
        Assert.Null(await OtherClient().TryAcquireLeaseAsync("leased", Duration));
        Assert.Equal("breaking", (await Container.GetPropertiesAsync("leased"))!.LeaseState);
    }

    [Fact]
    public async Task Break_NotLeased_ThrowsConflict()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Container.BreakLeaseAsync("leased"));

        Assert.True(error.IsConflict);
    }
}
