using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The JWT attack matrix, with tokens minted by an independent library (jose, in Node): every
/// forged, expired, misdirected or non-session token is 401 problem+json; real sessions are 200.
/// </summary>
public sealed class JwtAttackTests : IAsyncLifetime
{
    private const string Secret = "supabase-legacy-jwt-secret-0123456789abcdef";
    private const string Issuer = "https://abcdefghijklmnop.supabase.co/auth/v1";
    private const string Audience = "authenticated";

    private ApiFactory hsApp = null!;
    private ApiFactory jwksApp = null!;
    private WebApplication jwksServer = null!;
    private Dictionary<string, string> hsTokens = null!;
    private Dictionary<string, string> jwksTokens = null!;

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        hsTokens = Tokens(await NodeScript.RunAsync("jwt.mjs", "hs", Secret, Issuer, Audience));
        var jwks = await NodeScript.RunAsync("jwt.mjs", "jwks", Issuer, Audience);
        jwksTokens = Tokens(jwks);

        var port = FreePorts.Take(1)[0];
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        jwksServer = builder.Build();
        var keySet = jwks.GetProperty("jwks").GetRawText();
        jwksServer.MapGet("/auth/v1/.well-known/jwks.json", () => Results.Text(keySet, "application/json"));
        await jwksServer.StartAsync();

        hsApp = new ApiFactory(azurite, new Dictionary<string, string?>
        {
            ["Auth:HmacSecret"] = Secret,
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:RequireAuthenticatedRole"] = "true",
        }, environment: "Production");
        jwksApp = new ApiFactory(azurite, new Dictionary<string, string?>
        {
            ["Auth:JwksUri"] = $"http://127.0.0.1:{port}/auth/v1/.well-known/jwks.json",
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:RequireAuthenticatedRole"] = "true",
        }, environment: "Production");
    }

    public async Task DisposeAsync()
    {
        await hsApp.DisposeAsync();
        await jwksApp.DisposeAsync();
        await jwksServer.DisposeAsync();
    }

    [Theory]
    [InlineData("valid")]
    [InlineData("expiredWithinSkew")]
    [InlineData("validHandSigned")]
    public async Task Hs256_RealSession_Is200(string name)
    {
        var response = await Call(hsApp, hsTokens[name]);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("algNone")]
    [InlineData("algNoneUppercase")]
    [InlineData("expired")]
    [InlineData("notYetValid")]
    [InlineData("noExp")]
    [InlineData("wrongAudience")]
    [InlineData("wrongIssuer")]
    [InlineData("noSub")]
    [InlineData("wrongSecret")]
    [InlineData("hs512")]
    [InlineData("supabaseAnonKey")]
    [InlineData("supabaseServiceRoleKey")]
    [InlineData("anonRoleWithIssuerAndAudience")]
    [InlineData("tampered")]
    [InlineData("critUnknownExtension")]
    [InlineData("critEmpty")]
    [InlineData("critNotAnArray")]
    [InlineData("critNotStrings")]
    [InlineData("critNull")]
    [InlineData("critNamingAbsentHeader")]
    [InlineData("roleArray")]
    [InlineData("roleArrayWithServiceRole")]
    [InlineData("roleNumber")]
    [InlineData("roleObject")]
    [InlineData("roleNull")]
    [InlineData("roleTrue")]
    [InlineData("subArray")]
    public async Task Hs256_Attack_Is401(string name)
    {
        await ProblemAssert.IsProblemAsync(await Call(hsApp, hsTokens[name]), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Theory]
    [InlineData("validRs256")]
    [InlineData("validEs256")]
    public async Task Jwks_RealSession_Is200(string name)
    {
        Assert.Equal(HttpStatusCode.OK, (await Call(jwksApp, jwksTokens[name])).StatusCode);
    }

    [Theory]
    [InlineData("hs256WithRsaPublicKey")]
    [InlineData("hs256WithRsaPublicKeyNoKid")]
    [InlineData("unknownKey")]
    [InlineData("unknownKeyClaimingKnownKid")]
    [InlineData("algNone")]
    [InlineData("expired")]
    [InlineData("wrongAudience")]
    [InlineData("tampered")]
    [InlineData("critUnknownExtension")]
    [InlineData("roleArray")]
    public async Task Jwks_Attack_Is401(string name)
    {
        await ProblemAssert.IsProblemAsync(await Call(jwksApp, jwksTokens[name]), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task DevelopmentTokens_AreRejectedOutsideDevelopment()
    {
        await ProblemAssert.IsProblemAsync(await Call(hsApp, ApiFactory.TokenFor("mallory")), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task EnablingDevelopmentTokensOutsideDevelopment_StopsTheApp()
    {
        await using var app = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Auth:HmacSecret"] = Secret,
            ["Auth:Issuer"] = Issuer,
            ["Auth:Audience"] = Audience,
            ["Auth:Development:Enabled"] = "true",
        }, environment: "Production");

        var error = Assert.Throws<InvalidOperationException>(() => app.CreateClient());

        Assert.Contains("only be enabled in Development", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SessionsOfTwoUsers_LandInTheirOwnPartitions()
    {
        var response = await Call(hsApp, hsTokens["valid"], "/api/v1/settings/ui/theme", HttpMethod.Put, """{"value":"dark"}""");
        var tampered = await Call(hsApp, hsTokens["tampered"], "/api/v1/settings/ui/theme");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode); // The only write of this class: it creates the setting.
        Assert.Equal(HttpStatusCode.Unauthorized, tampered.StatusCode);
    }

    private static async Task<HttpResponseMessage> Call(ApiFactory app, string token, string path = "/api/v1/settings/ui", HttpMethod? method = null, string? json = null)
    {
        var client = app.CreateClient();
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        return await client.SendAsync(request);
    }

    private static Dictionary<string, string> Tokens(JsonElement output) =>
        output.GetProperty("tokens").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
}
