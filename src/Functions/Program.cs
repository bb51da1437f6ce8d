using Serverless.Functions.Api;
using Serverless.Functions.Conversations;
using Serverless.Functions.FunctionMetadata;
using Serverless.Functions.Hosting;
using Serverless.Functions.Identity;
using Serverless.Functions.Missions;
using Serverless.Functions.Settings;
using Serverless.Functions.Storage;
using Serverless.Functions.Timers;

var builder = WebApplication.CreateBuilder(args);

// Under the Functions host: listen where it says, on loopback.
builder.UseCustomHandlerPort();

// Storage, identity and the API conventions every endpoint follows.
builder.Services.AddAppStorage(builder.Configuration);
builder.Services.AddUserAuthentication(builder.Configuration, builder.Environment);
builder.Services.Configure<AuthOptions>(builder.Configuration.GetSection(AuthOptions.Section));
builder.Services.AddApiConventions(builder.Configuration);
builder.Services.AddScoped<IdempotencyKeys>();
builder.Services.AddTimerJobs();
builder.Services.AddMissions(builder.Configuration);
builder.Services.AddConversations();

var app = builder.Build();

// One-shot commands (e.g. minting a development token) run instead of the server.
if (DevelopmentTokenCommand.TryRun(args, app.Services) is { } exitCode)
{
    return exitCode;
}

// Middleware: forwarded headers first (so everything sees the client's scheme and host), then the
// error boundary, body limit, CORS, identity and the per-user rate limit.
app.UseHostForwardedHeaders();
app.UseProblemMapping();
app.UseMiddleware<RequestBodyLimit>();
app.UseCors(ApiSetup.CorsPolicy);
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

// Host protocol and anonymous endpoints.
app.MapReadinessProbe();
app.MapTimerInvocations();
app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok" })).AllowAnonymous().WithTags("Health").WithName("Health");
app.MapOpenApi("/api/v1/openapi.json").AllowAnonymous();

// The authenticated API.
var api = app.MapGroup("/api/v1").RequireAuthorization().RequireRateLimiting(ApiSetup.RateLimitPolicy).AddEndpointFilter<StorageReadyFilter>();
api.MapSettings();
api.MapMissions();
api.MapConversations();

// One-shot command that needs the mapped routes (so it sits here, not with the one above): writes
// function.json folders and exits before RunAsync, so no hosted service starts.
if (WriteFunctionMetadataCommand.TryRun(args, app) is { } metadataExitCode)
{
    return metadataExitCode;
}

await app.RunAsync();
return 0;

/// <summary>The app's entry point; public so tests can host it with WebApplicationFactory.</summary>
public partial class Program;
