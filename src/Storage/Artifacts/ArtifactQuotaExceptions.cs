namespace Serverless.Storage.Artifacts;

/// <summary>An upload would take the user's artifacts past their quota; nothing was written.</summary>
public sealed class ArtifactQuotaExceededException(long limitBytes, long usedBytes, long requestedBytes)
    : Exception($"The artifact quota is {limitBytes} bytes; {usedBytes} are used or reserved, and this upload needs {requestedBytes} more.")
{
    /// <summary>The user's quota in raw bytes.</summary>
    public long LimitBytes { get; } = limitBytes;

    /// <summary>Raw bytes of the user's artifacts plus the reservations of uploads in flight.</summary>
    public long UsedBytes { get; } = usedBytes;

    /// <summary>What the upload asked for (at least 1 for a body of unknown length).</summary>
    public long RequestedBytes { get; } = requestedBytes;
}

/// <summary>The user already has the most artifact uploads in flight that one user may have; nothing was written.</summary>
public sealed class ArtifactUploadsBusyException(int inFlight)
    : Exception($"{inFlight} artifact uploads of this user are in flight; wait for one to finish.")
{
    /// <summary>Uploads holding a reservation.</summary>
    public int InFlight { get; } = inFlight;
}
