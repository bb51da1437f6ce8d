using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Bundles;
using Serverless.Cli.Commands;
using Serverless.Cli.Importers;
using Serverless.Functions.Integrations;
using Serverless.Storage.Users;
using Serverless.Tests.Cli;
using Serverless.Tests.Lifecycle;
using static Serverless.Tests.Portability.PortabilityFlows;

namespace Serverless.Tests.Portability;

/// <summary>Integrations in bundles, through the API: secrets sealed under the user's passphrase, left out without one, wrong passphrases, CLI plain secrets.</summary>
public sealed class IntegrationPortabilityTests
{
    private const string Passphrase = "correct horse battery staple";
    private const string Token = "ghp_0123456789abcdefWXYZ";

    [Fact]
    public async Task WithAPassphrase_SecretsTravelSealed_AndAfterImportShowTheSameMasks_AndResolveToTheSameValues()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await OkAsync(await alice.PutAsJsonAsync("/api/v1/integrations/github", new { config = new { org = "acme", repos = new[] { "a", "b" } }, secrets = new { token = Token, pin = "1234" } }));
        await OkAsync(await alice.PutAsJsonAsync("/api/v1/integrations/slack", new { config = new { channel = "#ops" } }));

        var (job, bundle) = await ExportJobAsync(app, alice, Passphrase);
        Assert.Equal(0, job.GetProperty("secretsLeftOut").GetInt64());
        var text = System.Text.Encoding.UTF8.GetString(bundle);
        Assert.DoesNotContain(Token, text, StringComparison.Ordinal);
        var github = (await LinesAsync(bundle, "integration")).Single(l => l.GetProperty("provider").GetString() == "github");
        Assert.StartsWith(SecretSealing.Prefix, github.GetProperty("secrets").GetProperty("token").GetProperty("sealed").GetString(), StringComparison.Ordinal);

        var imported = await ImportAsync(app, bob, bundle, secretsPassphrase: Passphrase);
        Assert.Equal((2, 0, 0), Report(imported)["integration"]);
        Assert.Empty(Issues(imported, "integration", "notes"));
        Assert.Equal(await alice.GetStringAsync("/api/v1/integrations"), await bob.GetStringAsync("/api/v1/integrations"));
        var resolved = await app.Services.GetRequiredService<IntegrationSecrets>().ResolveAsync(
            UserPartition.For("bob").Key, new Dictionary<string, string> { ["Authorization"] = "Bearer {{secret:github/token}}" }, default);
        Assert.Equal($"Bearer {Token}", resolved.Headers["Authorization"]);

        // The same bundle again, with its passphrase: equal, skipped, no row changes.
        var before = Snapshot(await app.RowsAsync("bob"));
        Assert.Equal((0, 2, 0), Report(await ImportAsync(app, bob, bundle, "overwrite", Passphrase))["integration"]);
        Assert.Equal(before, Snapshot(await app.RowsAsync("bob")));

        // keepBoth has no second id for a provider: it keeps the one there, and says so.
        await OkAsync(await bob.PutAsJsonAsync("/api/v1/integrations/slack", new { config = new { channel = "#changed" } }));
        var keepBoth = await ImportAsync(app, bob, bundle, "keepBoth", Passphrase);
        Assert.Equal((0, 2, 0), Report(keepBoth)["integration"]);
        Assert.Contains(Issues(keepBoth, "integration", "notes"), n => n.StartsWith("slack: kept the integration there", StringComparison.Ordinal));
        Assert.Equal((1, 1, 0), Report(await ImportAsync(app, bob, bundle, "overwrite", Passphrase))["integration"]);
        Assert.Equal(await alice.GetStringAsync("/api/v1/integrations/slack"), await bob.GetStringAsync("/api/v1/integrations/slack"));
    }

    [Fact]
    public async Task WithoutAPassphrase_SecretsAreLeftOutAndCounted_AndAWrongOrMissingImportPassphraseImportsWithoutThemWithANote()
    {
        await using var app = await LifecycleApp.StartAsync();
        var carol = app.ClientFor("carol");
        await OkAsync(await carol.PutAsJsonAsync("/api/v1/integrations/github", new { config = new { org = "acme" }, secrets = new { token = Token, pin = "1234" } }));

        var (plainJob, plain) = await ExportJobAsync(app, carol);
        Assert.Equal(2, plainJob.GetProperty("secretsLeftOut").GetInt64());
        Assert.Equal(JsonValueKind.Null, Assert.Single(await LinesAsync(plain, "integration")).GetProperty("secrets").ValueKind);
        var dave = app.ClientFor("dave");
        Assert.Equal((1, 0, 0), Report(await ImportAsync(app, dave, plain))["integration"]);
        var withoutSecrets = JsonDocument.Parse(await dave.GetStringAsync("/api/v1/integrations/github")).RootElement;
        Assert.Equal(0, withoutSecrets.GetProperty("secrets").GetArrayLength());
        Assert.Equal("acme", withoutSecrets.GetProperty("config").GetProperty("org").GetString());

        var (_, sealedBundle) = await ExportJobAsync(app, carol, Passphrase);
        foreach (var (user, given, expected) in new[] { ("erin", "not the right passphrase", "does not open them"), ("frank", null, "no Secrets-Passphrase was given") })
        {
            var job = await ImportAsync(app, app.ClientFor(user), sealedBundle, secretsPassphrase: given);
            Assert.Equal("done", job.GetProperty("state").GetString());
            Assert.Equal((1, 0, 0), Report(job)["integration"]);
            var note = Assert.Single(Issues(job, "integration", "notes"));
            Assert.Contains("pin, token", note, StringComparison.Ordinal);
            Assert.Contains(expected, note, StringComparison.Ordinal);
            Assert.Equal(0, JsonDocument.Parse(await app.ClientFor(user).GetStringAsync("/api/v1/integrations/github")).RootElement.GetProperty("secrets").GetArrayLength());
        }
    }

    [Fact]
    public async Task ThePassphrase_IsKeptOnlyEncryptedWhileTheJobRuns_AndBadOnesAreRefusedWith400_CreatingNothing()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Lifecycle:RequestWorkBudget"] = "00:00:00" });
        var gina = app.ClientFor("gina");
        await OkAsync(await gina.PutAsJsonAsync("/api/v1/integrations/github", new { secrets = new { token = Token } }));

        foreach (var body in new object[] { new { secretsPassphrase = "short" }, new { secretsPassphrase = Passphrase, other = 1 } })
        {
            var refused = await gina.PostAsJsonAsync("/api/v1/me/export", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        }

        var badHeader = await PostAsync(gina, await BundleAsync([]), secretsPassphrase: "short");
        Assert.Equal("validation_failed", (await LifecycleApp.JsonAsync(badHeader, HttpStatusCode.BadRequest)).GetProperty("code").GetString());
        Assert.DoesNotContain(await app.RowsAsync("gina"), r => r.RowKey.StartsWith("port|", StringComparison.Ordinal));

        // Queued (no work in the request): the row holds the passphrase encrypted, never in clear; finished, not at all.
        var started = await gina.PostAsJsonAsync("/api/v1/me/export", new { secretsPassphrase = Passphrase });
        Assert.Equal("queued", (await LifecycleApp.JsonAsync(started, HttpStatusCode.Accepted)).GetProperty("state").GetString());
        var queued = Assert.Single(await app.RowsAsync("gina"), r => r.RowKey.StartsWith("port|", StringComparison.Ordinal)).GetString("Job");
        Assert.Contains("passphraseCipher", queued, StringComparison.Ordinal);
        Assert.DoesNotContain(Passphrase, queued, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Passphrase)), queued, StringComparison.Ordinal);
        await app.RunJobsAsync();
        var done = Assert.Single(await app.RowsAsync("gina"), r => r.RowKey.StartsWith("port|", StringComparison.Ordinal)).GetString("Job");
        Assert.Contains("\"state\":\"done\"", done, StringComparison.Ordinal);
        Assert.Contains("\"passphraseCipher\":null", done, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PlainSecretsTheCommandLineImporterWrites_AreStoredAsAPutStoresThem()
    {
        await using var app = await LifecycleApp.StartAsync();
        var hana = app.ClientFor("hana");
        using var scratch = new CliRunner();
        var key = RandomNumberGenerator.GetBytes(32);
        var config = Path.Combine(scratch.Folder, "integrations-config.json");
        await File.WriteAllTextAsync(config, $$$"""
            {"telegram": {"connected": true, "chatIds": ["42"], "botToken": "{{{NovaImporter.Encrypt(key, "123456:abc-telegram-token")}}}"}}
            """);
        var file = Path.Combine(scratch.Folder, "bundle.zip");
        await ImportCommand.ConvertAsync(new NovaImporter([config], key), file, default);

        var job = await ImportAsync(app, hana, await File.ReadAllBytesAsync(file));
        Assert.Equal((1, 0, 0), Report(job)["integration"]);
        var telegram = JsonDocument.Parse(await hana.GetStringAsync("/api/v1/integrations/telegram")).RootElement;
        var secret = Assert.Single(telegram.GetProperty("secrets").EnumerateArray());
        Assert.Equal("botToken", secret.GetProperty("name").GetString());
        Assert.Equal("oken", secret.GetProperty("last4").GetString());
        Assert.True(secret.GetProperty("usable").GetBoolean());
        Assert.Equal("42", telegram.GetProperty("config").GetProperty("chatIds")[0].GetString());
        var resolved = await app.Services.GetRequiredService<IntegrationSecrets>().ResolveAsync(
            UserPartition.For("hana").Key, new Dictionary<string, string> { ["X-Token"] = "{{secret:telegram/botToken}}" }, default);
        Assert.Equal("123456:abc-telegram-token", resolved.Headers["X-Token"]);
        Assert.Equal((0, 1, 0), Report(await ImportAsync(app, hana, await File.ReadAllBytesAsync(file), "overwrite"))["integration"]);
    }
}
