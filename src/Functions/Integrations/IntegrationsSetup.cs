using Serverless.Functions.Missions;
using Serverless.Functions.Secrets;
using Serverless.Functions.Storage;
using Serverless.Storage.Integrations;

namespace Serverless.Functions.Integrations;

/// <summary>Registers integrations: the store, and their secrets through the app's one keyring (the missions' <see cref="MissionSecretProtector"/>).</summary>
public static class IntegrationsSetup
{
    /// <summary>Adds the integration services (they need <see cref="StorageSetup.AddAppStorage"/> and <see cref="MissionSetup.AddMissions"/>).</summary>
    public static IServiceCollection AddIntegrations(this IServiceCollection services)
    {
        services.AddSingleton(p => new IntegrationStore(p.GetRequiredService<AppTables>().Users));
        services.AddSingleton<SecretProtector>(p => p.GetRequiredService<MissionSecretProtector>());
        services.AddSingleton(p => new IntegrationSecrets(p.GetRequiredService<IntegrationStore>(), p.GetRequiredService<SecretProtector>(), p.GetRequiredService<TimeProvider>()));
        return services;
    }
}
