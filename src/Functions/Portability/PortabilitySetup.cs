using Microsoft.Extensions.Options;
using Serverless.Functions.Portability.Kinds;
using Serverless.Functions.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>Registers export and import (after storage, conversations and missions; before the lifecycle, whose jobs timer runs them).</summary>
public static class PortabilitySetup
{
    /// <summary>Adds the exporter, the importer and their job runner.</summary>
    public static IServiceCollection AddPortability(this IServiceCollection services)
    {
        services.AddOptions<PortabilityOptions>().BindConfiguration(PortabilityOptions.Section)
            .Validate(o => o.MaxUncompressedBytes > 0, "Portability:MaxUncompressedBytes must be positive.")
            .ValidateOnStart();
        services.AddSingleton(p => new PortabilityJobStore(
            p.GetRequiredService<AppTables>().Users, p.GetRequiredService<AppContainers>().Payloads, p.GetRequiredService<ExpiryIndex>(), p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new ConversationPort(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<MessageStore>(), p.GetRequiredService<ExpiryIndex>()));

        // The kinds carried beside conversations, in bundle order: one port each.
        services.AddSingleton<IBundleKindPort, SettingPort>();
        services.AddSingleton<IBundleKindPort, MissionPort>();
        services.AddSingleton<IBundleKindPort, MemoryPort>();
        services.AddSingleton<IBundleKindPort, RunPort>();
        services.AddSingleton<IBundleKindPort, EventPort>();
        services.AddSingleton<IBundleKindPort, RecordPort>();
        services.AddSingleton<IBundleKindPort, IntegrationPort>();
        services.AddSingleton(p => new BundleExporter(
            p.GetRequiredService<PortabilityJobStore>(), p.GetRequiredService<ThreadStore>(), p.GetRequiredService<ConversationPort>(), p.GetRequiredService<SummaryStore>(),
            p.GetServices<IBundleKindPort>()));
        services.AddSingleton(p => new BundleImporter(
            p.GetRequiredService<PortabilityJobStore>(), p.GetRequiredService<ThreadStore>(), p.GetRequiredService<ConversationPort>(), p.GetRequiredService<SummaryStore>(),
            p.GetServices<IBundleKindPort>(), p.GetRequiredService<IOptions<PortabilityOptions>>()));
        services.AddSingleton<PortabilityPassphrases>();
        services.AddSingleton<PortabilityJobRunner>();
        services.AddSingleton<IPortabilityJobRunner>(p => new DeferredPortabilityJobRunner(p));
        return services;
    }
}
