namespace Serverless.Storage.Artifacts;

/// <summary>The artifact quota's settings, as the store applies them to a write.</summary>
/// <param name="MaxBytesPerUser">The raw bytes one user's artifacts and uploads in flight may hold.</param>
/// <param name="MaxUploadsInFlight">Uploads one user may have in flight at once.</param>
/// <param name="ReservationLifetime">How long a reservation lasts before it lapses.</param>
public sealed record ArtifactQuota(long MaxBytesPerUser, int MaxUploadsInFlight, TimeSpan ReservationLifetime);
