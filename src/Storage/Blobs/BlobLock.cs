using System.Diagnostics;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Serverless.Storage.Blobs;

/// <summary>
/// A distributed lock held as a lease on an empty blob: at most one holder across all instances at a
/// time. The handle renews the lease in the background every third of its duration; if renewal fails
/// for good, <see cref="LockLost"/> fires while the lease still has at least a third of its duration to
/// run, so the holder can stop before anyone else can take the lock. Dispose to release it.
/// </summary>
/// <remarks>
/// A holder that dies without releasing blocks others for at most one lease duration. Exclusion holds
/// only for work that stops when <see cref="LockLost"/> fires; a paused process (GC, debugger) can
/// outlive its lease like with any lease-based lock, so writes that must never interleave should
/// also carry <see cref="LeaseId"/> or an ETag condition.
/// </remarks>
public sealed class BlobLock : IAsyncDisposable
{
    /// <summary>How long to wait between renewal attempts after one fails transiently.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly BlobLeaseClient lease;
    private readonly TimeSpan leaseDuration;
    private readonly CancellationTokenSource lost = new();
    private readonly CancellationTokenSource stopping = new();
    private readonly Task renewal;
    private int disposed;

    private BlobLock(BlobLeaseClient lease, string lockName, TimeSpan leaseDuration, long acquiredAt)
    {
        this.lease = lease;
        this.leaseDuration = leaseDuration;
        LockName = lockName;
        LeaseId = lease.LeaseId;
        renewal = Task.Run(() => RenewUntilStoppedAsync(acquiredAt));
    }

    /// <summary>The lock blob's name.</summary>
    public string LockName { get; }

    /// <summary>The lease id, for writes to the lock blob that must fail once the lock is lost.</summary>
    public string LeaseId { get; }

    /// <summary>Fires when renewal failed for good (another holder, the blob deleted, or the service unreachable for two thirds of the duration). Stop the guarded work then.</summary>
    public CancellationToken LockLost => lost.Token;

    /// <summary>
    /// Takes the lock named <paramref name="lockName"/> if nobody holds it, creating its empty blob on first use.
    /// </summary>
    /// <param name="container">The container of lock blobs, which must exist.</param>
    /// <param name="lockName">The lock blob's name, e.g. <c>locks/missions-scheduler</c>.</param>
    /// <param name="leaseDuration">15 to 60 whole seconds: how long others wait if this holder dies. Infinite leases are refused (a crashed holder would block forever).</param>
    /// <param name="cancellationToken">Cancels the attempt (not the lock, once taken).</param>
    /// <returns>The held lock, or <c>null</c> when another holder has it.</returns>
    /// <exception cref="RequestFailedException">The service failed for another reason, e.g. the container does not exist.</exception>
    public static async Task<BlobLock?> TryAcquireAsync(BlobContainerClient container, string lockName, TimeSpan leaseDuration, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(container);
        if (leaseDuration == Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(leaseDuration), "A lock needs a finite lease (15 to 60 s) so that a crashed holder does not block others forever.");
        }

        var blob = container.GetBlobClient(lockName);

        // The client proposes one lease id for all its tries: if the answer to the first is lost, the retry
        // asks for the lease this client already holds, which the service grants again.
        var lease = blob.GetBlobLeaseClient(Guid.NewGuid().ToString());
        var started = Stopwatch.GetTimestamp();
        bool acquired;
        try
        {
            acquired = await TryAcquireLeaseAsync(lease, leaseDuration, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404 && e.ErrorCode != "ContainerNotFound")
        {
            // First use: create the empty lock blob (create-only: another contender may be doing the same), then try again.
            await CreateLockBlobAsync(blob, cancellationToken).ConfigureAwait(false);
            started = Stopwatch.GetTimestamp();
            acquired = await TryAcquireLeaseAsync(lease, leaseDuration, cancellationToken).ConfigureAwait(false);
        }

        // The lease runs from when the service granted it, which is after the request left: count from the send.
        return acquired ? new BlobLock(lease, lockName, leaseDuration, started) : null;
    }

    /// <summary>Stops renewing and releases the lease so the next contender can take the lock at once. Never throws: an unreleased lease expires on its own.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        await stopping.CancelAsync().ConfigureAwait(false);

        // An unexpected fault in the loop has already fired LockLost; disposing still releases.
        await renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

        // Released even when LockLost fired: the lease may still be ours if only the service was unreachable.
        // If another holder has it, the service refuses (409) and nothing changes.
        try
        {
            using var timeout = new CancellationTokenSource(leaseDuration);
            await lease.ReleaseAsync(cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (IsRenewalFailure(e))
        {
            // Releasing is a courtesy to the next holder; the lease expires by itself within its duration.
        }

        // LockLost's source is left undisposed on purpose: holders may still read the token after disposal.
        stopping.Dispose();
    }

    /// <returns>Whether the lease was granted; false when another holder has it.</returns>
    private static async Task<bool> TryAcquireLeaseAsync(BlobLeaseClient lease, TimeSpan duration, CancellationToken cancellationToken)
    {
        try
        {
            await lease.AcquireAsync(duration, cancellationToken: cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status == 409 && e.ErrorCode == "LeaseAlreadyPresent")
        {
            return false;
        }
    }

    private static async Task CreateLockBlobAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var createOnly = new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } };
            await blob.UploadAsync(BinaryData.Empty, createOnly, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Someone else created it (and may hold its lease already): the acquire that follows decides.
        }
    }

    /// <summary>
    /// Renews every third of the duration. A renewal that fails transiently is retried until two thirds
    /// of the duration have passed since the last success; then, or at once when the service says the lease
    /// is gone (404, 409, 412), the lock is declared lost. Each attempt is cut off at that deadline.
    /// </summary>
    private async Task RenewUntilStoppedAsync(long lastRenewed)
    {
        var interval = leaseDuration / 3;
        var giveUpAfter = leaseDuration * 2 / 3;
        try
        {
            var wait = interval;
            while (true)
            {
                await Task.Delay(wait, stopping.Token).ConfigureAwait(false);
                var attemptStarted = Stopwatch.GetTimestamp();
                var remaining = giveUpAfter - Stopwatch.GetElapsedTime(lastRenewed);
                if (remaining <= TimeSpan.Zero)
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }

                try
                {
                    using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                    attempt.CancelAfter(remaining);
                    await lease.RenewAsync(cancellationToken: attempt.Token).ConfigureAwait(false);
                    lastRenewed = attemptStarted;
                    wait = interval;
                }
                catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
                {
                    await lost.CancelAsync().ConfigureAwait(false);
                    return;
                }
                catch (Exception e) when (IsRenewalFailure(e) && !stopping.IsCancellationRequested)
                {
                    wait = RetryDelay;
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Disposed: stop renewing.
        }
        catch
        {
            // A bug or a LockLost callback that threw: without renewal the lock cannot be trusted.
            lost.Cancel(throwOnFirstException: false);
            throw;
        }
    }

    /// <summary>Failures a renewal or release can meet that must not escape the background loop or DisposeAsync.</summary>
    private static bool IsRenewalFailure(Exception e) =>
        e is RequestFailedException or OperationCanceledException or IOException or HttpRequestException or TimeoutException;
}
