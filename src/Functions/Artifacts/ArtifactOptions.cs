namespace Serverless.Functions.Artifacts;

/// <summary>Settings of artifacts and snapshots (configuration section <c>Artifacts</c>).</summary>
public sealed class ArtifactOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Artifacts";

    /// <summary>The largest <see cref="MaxUploadBytes"/> accepted: 4 GiB (the request pipeline's ceiling for the upload route).</summary>
    public const long MaxUploadBytesLimit = 4L * 1024 * 1024 * 1024;

    /// <summary>
    /// The largest artifact, in raw bytes. Default 256 MiB; 1 to <see cref="MaxUploadBytesLimit"/>. Under the Functions host
    /// the host's own limit also applies (<c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>, 100 MB unless set; infra/main.bicep sets it to this).
    /// </summary>
    public long MaxUploadBytes { get; set; } = 256L * 1024 * 1024;

    /// <summary>Each user's quota: the raw bytes of their stored artifacts plus those of their uploads in flight. Default 1 GiB.</summary>
    public long MaxBytesPerUser { get; set; } = 1024L * 1024 * 1024;

    /// <summary>How long a snapshot (kind <c>snapshot</c>) is kept after its upload unless starred. Default 30 days.</summary>
    public TimeSpan SnapshotRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Uploads one user may have in flight at once (each holds a quota reservation). Default 4.</summary>
    public int MaxUploadsInFlight { get; set; } = 4;

    /// <summary>
    /// How long an upload's quota reservation lasts: a crashed upload's reservation lapses after it; an upload still running
    /// then has its quota decided again when it commits. Default 1 hour.
    /// </summary>
    public TimeSpan ReservationLifetime { get; set; } = TimeSpan.FromHours(1);
}
