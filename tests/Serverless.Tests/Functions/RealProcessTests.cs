using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Functions.Identity;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The built app as a separate process, serving as the local server (no Functions host started it):
/// a token minted by the same binary works, anonymous calls are refused, and the health answer comes
/// without storage.
/// </summary>
public sealed class RealProcessTests : IAsyncLifetime
{
    private Dictionary<string, string?> environment = [];
    private ServerProcess server = null!;

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        environment = new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = azurite.ConnectionString,
            ["Storage__UserTable"] = "users" + suffix,
            ["Storage__DueTable"] = "due" + suffix,
            ["Storage__PayloadContainer"] = "payloads" + suffix,
            ["Auth__Development__Enabled"] = "true",
            ["Auth__Development__SigningKey"] = ApiFactory.DevelopmentKey,
        };
        server = await ServerProcess.StartAsync(environment);
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task Settings_RoundTripWithATokenMintedByTheSameBinary()
    {
        var user = "real-" + Guid.NewGuid().ToString("N")[..8];
        var minted = await ServerProcess.RunCommandAsync(environment, TimeSpan.FromSeconds(60), DevelopmentTokenCommand.Name, user);
        Assert.True(minted.ExitCode == 0, minted.StandardError);
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", minted.StandardOutput.Trim());

        var put = await client.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = new { mode = "dark" } });
        var get = await client.GetAsync("/api/v1/settings/ui/theme");
        using var anonymous = server.CreateClient();
        var refused = await anonymous.GetAsync("/api/v1/settings/ui/theme");

        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(put.Headers.ETag, get.Headers.ETag);
        var body = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("dark", body.GetProperty("value").GetProperty("mode").GetString());
        await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Server_SaysItRunsAsTheLocalServer_AndStartsItsTimerScheduler()
    {
        using var client = server.CreateClient();

        var health = await client.GetAsync("/api/health");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("Local timer scheduler runs MissionsTick on '0 * * * * *'", server.Output, StringComparison.Ordinal);
    }
}
