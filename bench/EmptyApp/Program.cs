// Listens where the Functions host says, like the real server, and answers the one route the
// cold-start benchmark polls. Nothing else: no storage, no auth, no middleware.
var builder = WebApplication.CreateBuilder(args);
if (Environment.GetEnvironmentVariable("FUNCTIONS_CUSTOMHANDLER_PORT") is { Length: > 0 } port)
{
    builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
}

var app = builder.Build();
app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok" }));
await app.RunAsync();
