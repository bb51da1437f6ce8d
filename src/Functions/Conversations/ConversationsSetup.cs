using Serverless.Functions.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;

namespace Serverless.Functions.Conversations;

/// <summary>Registers the conversation stores and maps the <c>/threads</c> operations on the local server.</summary>
public static class ConversationsSetup
{
    /// <summary>Adds the conversation stores (they need <see cref="StorageSetup.AddAppStorage"/>).</summary>
    public static IServiceCollection AddConversations(this IServiceCollection services)
    {
        services.AddOptions<ConversationOptions>().BindConfiguration(ConversationOptions.Section)
            .Validate(o => o.RestoreWindow >= TimeSpan.Zero, "Conversations:RestoreWindow must not be negative (0: deleted threads cannot be restored).")
            .Validate(o => o.ArchiveSegmentsPerRequest is >= 1 and <= 1000, "Conversations:ArchiveSegmentsPerRequest must be 1 to 1000.")
            .ValidateOnStart();
        services.AddSingleton(p => new ThreadStore(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<TimeProvider>(), p.GetRequiredService<ExpiryIndex>()));
        services.AddSingleton(p => new MessageStore(
            p.GetRequiredService<AppTables>().Users, p.GetRequiredService<ThreadStore>(), p.GetRequiredService<PayloadStore>(), p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new ThreadArchiver(
            p.GetRequiredService<AppTables>().Users, p.GetRequiredService<ThreadStore>(), p.GetRequiredService<PayloadStore>()));
        services.AddSingleton(p => new SummaryStore(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Maps the thread, message, fork, summary and transcript operations onto the local server's <c>/api</c> group.</summary>
    public static void MapConversations(RouteGroupBuilder api)
    {
        var threads = api.MapGroup(string.Empty).WithTags("Conversations");
        ThreadEndpoints.Map(threads);
        MessageEndpoints.Map(threads);
        TranscriptEndpoint.Map(threads);
    }
}
