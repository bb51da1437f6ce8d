using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Serverless.Functions.Identity;

namespace Serverless.Tests.Testing;

/// <summary>
/// The function app in-process (WebApplicationFactory) against the run's Azurite, with tables and
/// containers of its own, development tokens on, and any extra settings a test class needs.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>The development signing key the factory configures.</summary>
    public const string DevelopmentKey = "test-development-signing-key-0123456789abcdef";

    private readonly Dictionary<string, string?> settings;
    private readonly string environment;

    public ApiFactory(Azurite azurite, IDictionary<string, string?>? extra = null, string environment = "Development")
    {
        this.environment = environment;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:UserTable"] = "users" + suffix,
            ["Storage:TimerTable"] = "timers" + suffix,
            ["Storage:DueTable"] = "due" + suffix,
            ["Storage:PayloadContainer"] = "payloads" + suffix,
            ["Storage:LockContainer"] = "locks" + suffix,
            ["Auth:Development:Enabled"] = environment == "Development" ? "true" : "false",
            ["Auth:Development:SigningKey"] = DevelopmentKey,
            ["Api:CursorSigningKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    /// <summary>The user table this factory's app writes to.</summary>
    public string UserTable => settings["Storage:UserTable"]!;

    /// <summary>A client that sends a development token for <paramref name="userId"/>.</summary>
    public HttpClient ClientFor(string userId)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TokenFor(userId));
        return client;
    }

    /// <summary>A development token for <paramref name="userId"/>.</summary>
    public static string TokenFor(string userId) =>
        DevelopmentTokens.Mint(new DevelopmentTokenOptions { Enabled = true, SigningKey = DevelopmentKey }, userId, TimeProvider.System);

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment(environment);
        foreach (var (key, value) in settings)
        {
            builder.UseSetting(key, value);
        }
    }
}
