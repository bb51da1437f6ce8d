using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;

namespace Serverless.Functions.Hosting;

/// <summary>The app as an isolated-worker Functions app (Azure, or <c>func start</c>).</summary>
public static class WorkerApp
{
    /// <summary>The setting that turns Application Insights on (the platform sets it when the app has a resource).</summary>
    public const string ApplicationInsightsSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";

    /// <summary>
    /// The worker's builder: the ASP.NET Core integration, the app's services, and the API pipeline
    /// as worker middleware for HTTP triggers. Application Insights only when configured.
    /// </summary>
    public static FunctionsApplicationBuilder CreateBuilder(string[] args)
    {
        var builder = FunctionsApplication.CreateBuilder(args);

        // The HTTP integration's middleware runs first (outside ours): it hands us the request's HttpContext.
        builder.ConfigureFunctionsWebApplication();
        builder.UseWhen<WorkerApiMiddleware>(WorkerApiMiddleware.IsHttpTrigger);

        builder.Services.AddAppServices(builder.Configuration, builder.Environment);

        // The worker's web pipeline runs the function and then executes its result: compression wraps both there.
        builder.Services.AddSingleton<IStartupFilter, JsonCompression.StartupFilter>();
        builder.Services.AddSingleton(provider => new OpenApiDocumentSource(
            () => LocalServer.BuildRouteMap(provider.GetRequiredService<IConfiguration>(), provider.GetRequiredService<IHostEnvironment>()).Services));
        if (!string.IsNullOrWhiteSpace(builder.Configuration[ApplicationInsightsSetting]))
        {
            builder.Services.AddApplicationInsightsTelemetryWorkerService();
            builder.Services.ConfigureFunctionsApplicationInsights();
        }

        return builder;
    }
}
