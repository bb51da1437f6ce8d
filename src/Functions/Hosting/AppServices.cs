using Serverless.Functions.Portability;
using Serverless.Functions.Api;
using Serverless.Functions.Conversations;
using Serverless.Functions.Identity;
using Serverless.Functions.Lifecycle;
using Serverless.Functions.Missions;
using Serverless.Functions.Storage;

namespace Serverless.Functions.Hosting;

/// <summary>The services of the app, the same under the Functions worker and on the local server.</summary>
public static class AppServices
{
    /// <summary>Storage, identity, the API conventions and every feature's services.</summary>
    /// <exception cref="InvalidOperationException">The configuration is unsafe or incomplete; the message says what to set.</exception>
    public static IServiceCollection AddAppServices(this IServiceCollection services, IConfiguration configuration, IHostEnvironment environment)
    {
        services.AddAppStorage(configuration);
        services.AddUserAuthentication(configuration, environment);
        services.Configure<AuthOptions>(configuration.GetSection(AuthOptions.Section));
        services.AddApiConventions();
        services.AddMissions(configuration);
        services.AddConversations();
        services.AddPortability();
        services.AddLifecycle(configuration);
        return services;
    }
}
