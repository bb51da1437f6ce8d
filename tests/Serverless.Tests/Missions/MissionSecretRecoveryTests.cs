using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Missions;

/// <summary>
/// Signing secrets across restarts of the app on the same storage: the development key survives a restart, and a
/// secret whose key is gone fails with a clear run-log error until <c>rotate-secret</c> replaces it.
/// </summary>
public sealed class MissionSecretRecoveryTests : IAsyncLifetime
{
    private static readonly string KeyOne = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string KeyTwo = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    private WebhookReceiver receiver = null!;
    private Azurite azurite = null!;
    private Dictionary<string, string?> storage = null!;

    public async Task InitializeAsync()
    {
        receiver = await WebhookReceiver.StartAsync();
        azurite = await Azurite.Shared;
        storage = MissionTestApp.SharedStorage();
    }

    public async Task DisposeAsync() => await receiver.DisposeAsync();

    /// <summary>Development as <c>scripts/run</c> starts it: no <c>Missions:SecretKeys</c> configured.</summary>
    private static Dictionary<string, string?> NoConfiguredKeys() => new()
    {
        ["Missions:SecretKeys:k1"] = "",
        ["Missions:ActiveSecretKeyId"] = "",
    };

    private static Dictionary<string, string?> OnlyKey(string id, string key) => new()
    {
        ["Missions:SecretKeys:k1"] = "",
        [$"Missions:SecretKeys:{id}"] = key,
        ["Missions:ActiveSecretKeyId"] = id,
    };

    private object Mission(string path) => new { name = "m", intervalSeconds = 3600, url = receiver.Url(path) };

    private static async Task<JsonElement> RunNowAsync(HttpClient client, string id)
    {
        var response = await client.PostAsync($"/api/v1/missions/{id}/run", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, text);
        return JsonDocument.Parse(text).RootElement;
    }

    private static bool SignedWith(ReceivedWebhook w, string secret)
    {
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var expected = "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{w.Id}.{w.Timestamp}.{w.Body}")));
        return w.Signature.Split(' ').Contains(expected);
    }

    [Fact]
    public async Task Development_WithoutConfiguredKeys_MissionsKeepFiringAfterARestart()
    {
        string id, secret;
        await using (var first = new MissionTestApp(azurite, receiver, null, storage, NoConfiguredKeys()))
        {
            (id, secret) = await MissionTestApp.CreateAsync(first.ClientFor("alice"), Mission("/before"));
            Assert.Equal("succeeded", (await RunNowAsync(first.ClientFor("alice"), id)).GetProperty("status").GetString());
        }

        await using var restarted = new MissionTestApp(azurite, receiver, null, storage, NoConfiguredKeys());
        var run = await RunNowAsync(restarted.ClientFor("alice"), id);

        Assert.Equal("succeeded", run.GetProperty("status").GetString());
        var deliveries = receiver.At("/before").ToArray();
        Assert.Equal(2, deliveries.Length);
        Assert.All(deliveries, d => Assert.True(SignedWith(d, secret)));
    }

    [Fact]
    public async Task SecretWhoseKeyIsGone_FailsClearly_ThenRotateSecretRecoversIt()
    {
        string id, oldSecret;
        await using (var first = new MissionTestApp(azurite, receiver, null, storage, OnlyKey("k1", KeyOne)))
        {
            (id, oldSecret) = await MissionTestApp.CreateAsync(first.ClientFor("alice"), Mission("/hook"));
        }

        // The operator replaced key k1 by k2 without keeping k1 for decryption.
        await using var restarted = new MissionTestApp(azurite, receiver, null, storage, OnlyKey("k2", KeyTwo));
        var alice = restarted.ClientFor("alice");

        var view = JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}")).RootElement;
        var signingError = view.GetProperty("signingError").GetString()!;
        Assert.Contains("cannot be decrypted", signingError, StringComparison.Ordinal);
        Assert.Contains("'k1'", signingError, StringComparison.Ordinal);
        Assert.Contains($"/api/v1/missions/{id}/rotate-secret", signingError, StringComparison.Ordinal);
        var listed = JsonDocument.Parse(await alice.GetStringAsync("/api/v1/missions")).RootElement.GetProperty("data")[0];
        Assert.Equal(signingError, listed.GetProperty("signingError").GetString());

        var failed = await RunNowAsync(alice, id);
        Assert.Equal("failed", failed.GetProperty("status").GetString());
        var error = failed.GetProperty("error").GetString()!;
        Assert.Contains("cannot be decrypted", error, StringComparison.Ordinal);
        Assert.Contains("'k1'", error, StringComparison.Ordinal);
        Assert.Contains($"/api/v1/missions/{id}/rotate-secret", error, StringComparison.Ordinal);
        Assert.Empty(receiver.At("/hook"));
        var logged = JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}/runs")).RootElement.GetProperty("data")[0];
        Assert.Equal(error, logged.GetProperty("error").GetString());

        var rotated = await alice.PostAsync($"/api/v1/missions/{id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var newSecret = JsonDocument.Parse(await rotated.Content.ReadAsStringAsync()).RootElement.GetProperty("secret").GetString()!;
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(await alice.GetStringAsync($"/api/v1/missions/{id}")).RootElement.GetProperty("signingError").ValueKind);
        var recovered = await RunNowAsync(alice, id);

        Assert.Equal("succeeded", recovered.GetProperty("status").GetString());
        var delivery = Assert.Single(receiver.At("/hook"));
        Assert.True(SignedWith(delivery, newSecret));
        Assert.False(SignedWith(delivery, oldSecret));
        Assert.Single(delivery.Signature.Split(' '));
    }
}
