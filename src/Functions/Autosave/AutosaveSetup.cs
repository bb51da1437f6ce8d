using Serverless.Functions.Storage;
using Serverless.Storage.Autosave;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;

namespace Serverless.Functions.Autosave;

/// <summary>Registers autosave: options and the store (the slots' expiry is the expiry index's retention of <see cref="RetentionRules.Autosave"/>, set in <see cref="StorageSetup"/>).</summary>
public static class AutosaveSetup
{
    /// <summary>Adds the autosave services (they need <see cref="StorageSetup.AddAppStorage"/>).</summary>
    public static IServiceCollection AddAutosave(this IServiceCollection services)
    {
        services.AddOptions<AutosaveOptions>().BindConfiguration(AutosaveOptions.Section)
            .Validate(o => o.Expiry > TimeSpan.Zero, "Autosave:Expiry must be positive.")
            .ValidateOnStart();
        services.AddSingleton(p => new AutosaveStore(
            p.GetRequiredService<AppTables>().Users, p.GetRequiredService<PayloadStore>(), p.GetRequiredService<ExpiryIndex>(), p.GetRequiredService<TimeProvider>()));
        return services;
    }
}
