using Serverless.Functions.Hosting;
using Serverless.Functions.Identity;
using Serverless.Functions.Lifecycle;

// One assembly, two ways to serve the same API (design.md §2).
if (FunctionsHost.StartedUs(args))
{
    // Started by the Functions host (Azure, func start): the isolated worker.
    await WorkerApp.CreateBuilder(args).Build().RunAsync();
    return 0;
}

// Otherwise the local ASP.NET Core server: scripts/run without Core Tools, tests, benchmarks.
var app = LocalServer.Build(args);

// One-shot commands (minting a development token, operator commands) run instead of the server.
if (DevelopmentTokenCommand.TryRun(args, app.Services) is { } exitCode)
{
    return exitCode;
}

if (await AdminCommand.TryRunAsync(args, app.Services) is { } adminExitCode)
{
    return adminExitCode;
}

await app.RunAsync();
return 0;

/// <summary>The app's entry point; public so tests can host the local server with WebApplicationFactory.</summary>
public partial class Program;
