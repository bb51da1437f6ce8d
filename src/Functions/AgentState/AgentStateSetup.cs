using Microsoft.Extensions.Options;
using Serverless.Functions.Storage;
using Serverless.Storage.Events;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Memories;
using Serverless.Storage.Payloads;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Usage;

namespace Serverless.Functions.AgentState;

/// <summary>Registers the agent-state stores (memories, runs, events and usage, records) and maps their operations on the local server.</summary>
public static class AgentStateSetup
{
    /// <summary>Adds the stores (they need <see cref="StorageSetup.AddAppStorage"/>).</summary>
    public static IServiceCollection AddAgentState(this IServiceCollection services)
    {
        services.AddOptions<RecordOptions>().BindConfiguration(RecordOptions.Section)
            .Validate(o => o.MaxRecordsPerCollection >= 1 && o.MaxCollections >= 1 && o.MaxBytes >= 1, "Records:MaxRecordsPerCollection, MaxCollections and MaxBytes must be at least 1.")
            .Validate(o => o.CascadeDeletesPerRequest is >= 1 and <= 1000, "Records:CascadeDeletesPerRequest must be 1 to 1000.")
            .ValidateOnStart();
        services.AddSingleton(p => new MemoryStore(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new RunStore(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<PayloadStore>(), p.GetRequiredService<ExpiryIndex>(), p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new EventStore(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<ExpiryIndex>(), p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new UsageStore(p.GetRequiredService<AppTables>().Users));
        services.AddSingleton(p =>
        {
            var o = p.GetRequiredService<IOptions<RecordOptions>>().Value;
            return new RecordStore(
                p.GetRequiredService<AppTables>().Users, p.GetRequiredService<PayloadStore>(), p.GetRequiredService<ExpiryIndex>(), p.GetRequiredService<TimeProvider>(),
                new RecordQuotas(o.MaxRecordsPerCollection, o.MaxCollections, o.MaxBytes));
        });
        return services;
    }

    /// <summary>Maps the memory, run, event, usage and record operations onto the local server's <c>/api</c> group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        MemoryEndpoints.Map(api);
        RunEndpoints.Map(api);
        EventEndpoints.Map(api);
        RecordEndpoints.Map(api);
    }
}
