using System.Globalization;
using Azure.Core;
using Serverless.Storage.Http;

namespace Serverless.Storage.Blobs;

public sealed partial class BlobContainerClient
{
    /// <summary>The shortest finite lease the service grants.</summary>
    public static readonly TimeSpan MinLeaseDuration = TimeSpan.FromSeconds(15);

    /// <summary>The longest finite lease the service grants; <see cref="Timeout.InfiniteTimeSpan"/> asks for one that never expires.</summary>
    public static readonly TimeSpan MaxLeaseDuration = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Takes a write lease on an existing blob. While it is held, writes and deletes must carry its id,
    /// and nobody else can acquire it until it is released, broken or expires unrenewed.
    /// </summary>
    /// <param name="blobName">The blob, which must exist.</param>
    /// <param name="duration">15 to 60 whole seconds, or <see cref="Timeout.InfiniteTimeSpan"/>.</param>
    /// <param name="proposedLeaseId">The id to use (a GUID); a new GUID when null. Acquiring again with the id already held extends it.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The lease id.</returns>
    /// <exception cref="StorageException">409 <c>LeaseAlreadyPresent</c> when another lease is held; 404 when the blob does not exist.</exception>
    public async Task<string> AcquireLeaseAsync(string blobName, TimeSpan duration, string? proposedLeaseId = null, CancellationToken cancellationToken = default)
    {
        var (leaseId, held) = await AcquireCoreAsync(blobName, duration, proposedLeaseId, cancellationToken).ConfigureAwait(false);
        return leaseId ?? throw held!;
    }

    /// <summary>Like <see cref="AcquireLeaseAsync"/>, but returns <c>null</c> instead of throwing when another lease is held.</summary>
    /// <exception cref="StorageException">Any other failure, e.g. 404 when the blob does not exist.</exception>
    public async Task<string?> TryAcquireLeaseAsync(string blobName, TimeSpan duration, string? proposedLeaseId = null, CancellationToken cancellationToken = default)
    {
        var (leaseId, _) = await AcquireCoreAsync(blobName, duration, proposedLeaseId, cancellationToken).ConfigureAwait(false);
        return leaseId;
    }

    /// <summary>Restarts the lease's clock at its original duration. Renewing works even after it expired, as long as nobody else leased the blob since.</summary>
    /// <exception cref="StorageException">409 when the id does not match the blob's lease (another holder took it).</exception>
    public async Task RenewLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        using var message = LeaseMessage(blobName, "renew");
        message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        await pipeline.SendStorageRequestAsync(message, $"Renew lease on {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 200)
        {
            throw StorageErrors.FromResponse(message, $"Renew lease on {Name}/{blobName}");
        }
    }

    /// <summary>Ends the lease now, so another client can acquire it at once.</summary>
    /// <exception cref="StorageException">409 when the id does not match the blob's lease.</exception>
    public async Task ReleaseLeaseAsync(string blobName, string leaseId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseId);
        using var message = LeaseMessage(blobName, "release");
        message.Request.Headers.SetValue("x-ms-lease-id", leaseId);
        await pipeline.SendStorageRequestAsync(message, $"Release lease on {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 200)
        {
            throw StorageErrors.FromResponse(message, $"Release lease on {Name}/{blobName}");
        }
    }

    /// <summary>
    /// Breaks the current lease without knowing its id (an operator's tool for a lock whose holder died):
    /// it can be re-acquired once the break period ends.
    /// </summary>
    /// <param name="blobName">The leased blob.</param>
    /// <param name="breakPeriod">0 to 60 whole seconds to let the holder finish; when null, the rest of the lease's duration (immediately for an infinite lease).</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>How long until the lease is fully broken (zero when immediately).</returns>
    /// <exception cref="StorageException">409 <c>LeaseNotPresentWithLeaseOperation</c> when the blob is not leased.</exception>
    public async Task<TimeSpan> BreakLeaseAsync(string blobName, TimeSpan? breakPeriod = null, CancellationToken cancellationToken = default)
    {
        using var message = LeaseMessage(blobName, "break");
        if (breakPeriod is { } period)
        {
            message.Request.Headers.SetValue("x-ms-lease-break-period", WholeSeconds(period, TimeSpan.Zero, MaxLeaseDuration, nameof(breakPeriod)));
        }

        await pipeline.SendStorageRequestAsync(message, $"Break lease on {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 202)
        {
            throw StorageErrors.FromResponse(message, $"Break lease on {Name}/{blobName}");
        }

        return message.Response.Headers.TryGetValue("x-ms-lease-time", out var seconds) && int.TryParse(seconds, NumberStyles.None, CultureInfo.InvariantCulture, out var s)
            ? TimeSpan.FromSeconds(s)
            : TimeSpan.Zero;
    }

    /// <returns>The lease id, or null with the exception to throw when another lease is held.</returns>
    private async Task<(string? LeaseId, StorageException? Held)> AcquireCoreAsync(string blobName, TimeSpan duration, string? proposedLeaseId, CancellationToken cancellationToken)
    {
        var durationHeader = duration == Timeout.InfiniteTimeSpan ? "-1" : WholeSeconds(duration, MinLeaseDuration, MaxLeaseDuration, nameof(duration));
        if (proposedLeaseId is not null && !Guid.TryParse(proposedLeaseId, out _))
        {
            throw new ArgumentException("A lease id must be a GUID.", nameof(proposedLeaseId));
        }

        using var message = LeaseMessage(blobName, "acquire");
        message.Request.Headers.SetValue("x-ms-lease-duration", durationHeader);

        // Always propose an id: if the answer to the first try is lost, the retry asks for the lease this
        // client already holds, which the service grants again instead of answering LeaseAlreadyPresent.
        message.Request.Headers.SetValue("x-ms-proposed-lease-id", proposedLeaseId ?? Guid.NewGuid().ToString());
        await pipeline.SendStorageRequestAsync(message, $"Acquire lease on {Name}/{blobName}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status == 201 && message.Response.Headers.TryGetValue("x-ms-lease-id", out var leaseId))
        {
            return (leaseId, null);
        }

        var error = StorageErrors.FromResponse(message, $"Acquire lease on {Name}/{blobName}");
        if (error.IsConflict && error.ErrorCode == "LeaseAlreadyPresent")
        {
            return (null, error);
        }

        throw error;
    }

    private HttpMessage LeaseMessage(string blobName, string action)
    {
        BlobNames.CheckBlob(blobName);
        var message = CreateMessage(RequestMethod.Put, BlobUrl(blobName) + "?comp=lease");
        message.Request.Headers.SetValue("x-ms-lease-action", action);
        SetEmptyBody(message);
        return message;
    }

    private static string WholeSeconds(TimeSpan value, TimeSpan min, TimeSpan max, string paramName)
    {
        if (value < min || value > max || value.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"Must be whole seconds from {min.TotalSeconds} to {max.TotalSeconds}.");
        }

        return ((int)value.TotalSeconds).ToString(CultureInfo.InvariantCulture);
    }
}
