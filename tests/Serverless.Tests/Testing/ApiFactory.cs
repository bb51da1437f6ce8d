using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Functions.Identity;
using Serverless.Functions.Timers;

namespace Serverless.Tests.Testing;

/// <summary>
/// The app's local server in-process (WebApplicationFactory) against the run's Azurite, with tables
/// and containers of its own, development tokens on, and any extra settings a test class needs.
/// </summary>
public sealed class ApiFactory : WebApplicationFactory<Program>
{
    /// <summary>The development signing key the factory configures.</summary>
    public const string DevelopmentKey = "test-development-signing-key-0123456789abcdef";

    /// <summary>The receipt key the factory configures (base64 of 32 bytes).</summary>
    public static readonly string ReceiptKey = Convert.ToBase64String(Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());

    private readonly Dictionary<string, string?> settings;
    private readonly string environment;
    private readonly bool localScheduler;

    /// <param name="azurite">The run's Azurite.</param>
    /// <param name="extra">Settings to add or override.</param>
    /// <param name="environment">The hosting environment.</param>
    /// <param name="localScheduler">Whether the local timer scheduler runs (off where a test ticks itself or a stray tick would interfere).</param>
    public ApiFactory(Azurite azurite, IDictionary<string, string?>? extra = null, string environment = "Development", bool localScheduler = true)
    {
        this.environment = environment;
        this.localScheduler = localScheduler;
        var suffix = Guid.NewGuid().ToString("N")[..12];
        settings = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = azurite.ConnectionString,
            ["Storage:UserTable"] = "users" + suffix,
            ["Storage:DueTable"] = "due" + suffix,
            ["Storage:ExpiryTable"] = "exp" + suffix,
            ["Storage:LifecycleTable"] = "life" + suffix,
            ["Storage:PayloadContainer"] = "payloads" + suffix,
            ["Auth:Development:Enabled"] = environment == "Development" ? "true" : "false",
            ["Auth:Development:SigningKey"] = DevelopmentKey,
            ["Api:CursorSigningKey"] = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()),
            ["Lifecycle:ReceiptKey"] = ReceiptKey,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }
    }

    /// <summary>The user table this factory's app writes to.</summary>
    public string UserTable => settings["Storage:UserTable"]!;

    /// <summary>The settings the factory's app runs with.</summary>
    public IReadOnlyDictionary<string, string?> Settings => settings;

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

        // Every answer of every API test is held to the OpenAPI document.
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, OpenApiContract.CheckingStartupFilter>());
        if (!localScheduler)
        {
            builder.ConfigureTestServices(services =>
            {
                foreach (var scheduler in services.Where(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType == typeof(LocalTimerScheduler)).ToList())
                {
                    services.Remove(scheduler);
                }
            });
        }
    }
}
