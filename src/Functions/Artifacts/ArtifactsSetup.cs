using Microsoft.Extensions.Options;
using Serverless.Functions.Storage;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;

namespace Serverless.Functions.Artifacts;

/// <summary>Registers artifacts: options and the store.</summary>
public static class ArtifactsSetup
{
    /// <summary>Adds the artifact services (they need <see cref="StorageSetup.AddAppStorage"/>).</summary>
    public static IServiceCollection AddArtifacts(this IServiceCollection services)
    {
        services.AddOptions<ArtifactOptions>().BindConfiguration(ArtifactOptions.Section)
            .Validate(o => o.MaxUploadBytes is >= 1 and <= ArtifactOptions.MaxUploadBytesLimit, $"Artifacts:MaxUploadBytes must be 1 to {ArtifactOptions.MaxUploadBytesLimit}.")
            .Validate(o => o.MaxBytesPerUser >= 1 && o.MaxUploadsInFlight >= 1, "Artifacts:MaxBytesPerUser and Artifacts:MaxUploadsInFlight must be positive.")
            .Validate(o => o.SnapshotRetention > TimeSpan.Zero && o.ReservationLifetime > TimeSpan.Zero, "Artifacts:SnapshotRetention and Artifacts:ReservationLifetime must be positive.")
            .ValidateOnStart();

        // A payload store of its own: reads of an artifact must be allowed to inflate to the largest upload.
        services.AddSingleton(p => new ArtifactStore(
            p.GetRequiredService<AppTables>().Users,
            new PayloadStore(p.GetRequiredService<AppContainers>().Payloads, new PayloadStoreOptions
            {
                MaxExpandedBytes = Math.Max(PayloadStoreOptions.DefaultMaxExpandedBytes, p.GetRequiredService<IOptions<ArtifactOptions>>().Value.MaxUploadBytes),
            }),
            p.GetRequiredService<ExpiryIndex>(),
            p.GetRequiredService<TimeProvider>()));
        return services;
    }
}
