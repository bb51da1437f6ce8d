// The baseline of `bench/run app`: answers the one route the cold-start benchmark polls, listening
// where ASPNETCORE_URLS says, like the app's local server. Nothing else: no storage, no auth, no middleware.
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/api/health", () => TypedResults.Ok(new { status = "ok" }));
await app.RunAsync();
