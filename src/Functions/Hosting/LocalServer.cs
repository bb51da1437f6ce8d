using Serverless.Functions.Portability;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Conversations;
using Serverless.Functions.Lifecycle;
using Serverless.Functions.Missions;
using Serverless.Functions.Settings;
using Serverless.Functions.Timers;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The app as a plain ASP.NET Core server, where no Functions host runs it (scripts/run without
/// Core Tools, tests, benchmarks, containers). Not an imitation of the host: it maps the same
/// operations to ASP.NET Core routes, named as their functions, behind the same
/// <see cref="ApiPipeline"/>, and runs the timer jobs with <see cref="LocalTimerScheduler"/>.
/// </summary>
public static class LocalServer
{
    /// <summary>The route prefix, as host.json's <c>extensions.http.routePrefix</c> gives the functions.</summary>
    public const string RoutePrefix = "/api";

    /// <summary>Builds the server (not started).</summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAppServices(builder.Configuration, builder.Environment);
        builder.Services.AddApiDocument();
        builder.Services.AddSingleton(provider => new OpenApiDocumentSource(() => provider));
        builder.Services.AddHostedService<LocalTimerScheduler>();

        var app = builder.Build();

        // Bodiless error statuses of the server's own routing (no such route, wrong method) become problem+json;
        // everything else (CORS preflights, the checks, faults) is the API pipeline's.
        app.UseStatusCodePages();
        app.UseMiddleware<LocalApiMiddleware>();
        MapOperations(app);
        return app;
    }

    /// <summary>
    /// The local server's route map without a server or background work: what the worker builds to
    /// generate the same OpenAPI document (<see cref="OpenApiDocumentSource"/>). Never started.
    /// </summary>
    public static WebApplication BuildRouteMap(IConfiguration configuration, IHostEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(environment);
        // Slim: a server is registered (WebApplication needs one) but never started; the worker's configuration goes on top.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            EnvironmentName = environment.EnvironmentName,
            ContentRootPath = environment.ContentRootPath,
            ApplicationName = environment.ApplicationName,
        });
        builder.Configuration.AddConfiguration(configuration);
        builder.Services.AddAppServices(builder.Configuration, builder.Environment);
        builder.Services.AddApiDocument();
        builder.Services.AddSingleton(provider => new OpenApiDocumentSource(() => provider));
        var app = builder.Build();
        MapOperations(app);

        // Hands the mapped routes to the routing services (what starting the server would do), so the
        // OpenAPI generator sees them; no request ever flows through this pipeline.
        app.UseRouting();
        app.UseEndpoints(_ => { });
        return app;
    }

    /// <summary>Every operation, under <see cref="RoutePrefix"/>, named as its function.</summary>
    private static void MapOperations(WebApplication app)
    {
        var api = app.MapGroup(RoutePrefix);
        api.ProducesPolicyProblems();
        ServiceEndpoints.Map(api);
        SettingsEndpoints.Map(api);
        ConversationsSetup.MapConversations(api);
        MissionEndpoints.Map(api);
        LifecycleEndpoints.Map(api);
        PortabilityEndpoints.Map(api);
    }
}
