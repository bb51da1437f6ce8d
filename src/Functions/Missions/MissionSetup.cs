using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Serverless.Functions.Identity;
using Serverless.Functions.Storage;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Payloads;

namespace Serverless.Functions.Missions;

/// <summary>Registers missions: options, stores, secret protection, the webhook sender and the <c>MissionsTick</c> timer.</summary>
public static class MissionSetup
{
    /// <summary>Adds the mission services (after <c>AddAppStorage</c>).</summary>
    public static IServiceCollection AddMissions(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<MissionOptions>()
            .Bind(configuration.GetSection(MissionOptions.Section))
            .Validate(o => o.MaxMissionsPerUser >= 1 && o.MaxPayloadBytes is >= 2 and <= 16 * 1024, "Missions:MaxMissionsPerUser must be positive and Missions:MaxPayloadBytes 2 to 16384.")
            .Validate(o => o.DeliveryTimeout > TimeSpan.Zero && o.DeliveryTimeout <= TimeSpan.FromMinutes(2), "Missions:DeliveryTimeout must be over 0 and at most 2 minutes.")
            .Validate(o => o.MaxResponseBodyBytes is >= WebhookSender.ExcerptBytes and <= MissionOptions.MaxResponseBodyBytesLimit, "Missions:MaxResponseBodyBytes must be 1024 to 1048576.")
            .Validate(o => o.MaxAttempts >= 1 && o.TickBatchSize is >= 1 and <= 1000 && o.MaxCatchUp >= 1, "Missions:MaxAttempts, MaxCatchUp must be positive and TickBatchSize 1 to 1000.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new MissionStore(provider.GetRequiredService<AppTables>().Users, provider.GetRequiredService<PayloadStore>(), provider.GetRequiredService<ExpiryIndex>()));
        services.AddSingleton(provider => new DueIndexStore(provider.GetRequiredService<AppTables>().Due));
        // The development key is derived from the development token signing key (see MissionSecretProtector.DevelopmentKey).
        var developmentSigningKey = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Development.SigningKey;
        services.AddSingleton(provider => new MissionSecretProtector(
            provider.GetRequiredService<IOptions<MissionOptions>>(), provider.GetRequiredService<IHostEnvironment>(), developmentSigningKey));
        services.AddSingleton<WebhookSender>();
        services.AddSingleton<MissionFiring>();
        services.AddTimerJob<MissionsTickJob>(MissionsTickJob.Name, MissionsTickJob.Schedule);
        return services;
    }
}
