using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.Cli;

namespace Serverless.Tests.Cli;

/// <summary>
/// <c>import</c> and <c>export</c> end to end against the real local server process: a side panel database imported,
/// read back through the API with its ids, times and texts; imported again (everything skipped); exported, the bundle
/// checked, and imported into an empty user; a broken bundle refused before anything is sent.
/// </summary>
public sealed class CliPortabilityTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task ASidePanelDatabase_IsImported_ThenImportingAgainChangesNothing()
    {
        var user = "cli-import-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        var db = SidePanelFixture.Create(cli.Folder);
        var json = SidePanelFixture.LocalStorage(cli.Folder);

        var run = await cli.RunAsync("import", "--from", "sidepanel", db, json, "--json");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var report = Report(run.Json);
        Assert.Equal((2L, 0L, 0L), report["thread"]);
        Assert.Equal((5L, 0L, 0L), report["message"]);
        Assert.Equal((6L, 0L, 0L), report["setting"]);
        Assert.Equal((2L, 0L, 0L), report["artifact"]);
        Assert.Equal((2L, 0L, 0L), report["event"]);

        using var http = server.ClientFor(user);
        var thread = await http.GetFromJsonAsync<JsonElement>("/api/v1/threads/s-1");
        Assert.Equal("Trip planning", thread.GetProperty("title").GetString());
        Assert.Equal(DateTimeOffset.Parse("2025-03-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture), thread.GetProperty("createdAt").GetDateTimeOffset());
        Assert.Equal(4, thread.GetProperty("messageCount").GetInt64());
        var messages = (await http.GetFromJsonAsync<JsonElement>("/api/v1/threads/s-1/messages?limit=10")).GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["m-1", "m-2", "m-3", "m-4"], messages.Select(m => m.GetProperty("id").GetString()));
        Assert.Equal(SidePanelFixture.LongAnswer, messages[3].GetProperty("content").GetString());
        Assert.Equal(DateTimeOffset.Parse("2025-03-01T10:00:03Z", System.Globalization.CultureInfo.InvariantCulture), messages[1].GetProperty("createdAt").GetDateTimeOffset());
        var theme = await http.GetFromJsonAsync<JsonElement>("/api/v1/settings/sidepanel/theme");
        Assert.Equal("dark", theme.GetProperty("value").GetString());

        var again = await cli.RunAsync("import", "--from", "sidepanel", db, json, "--json");
        Assert.True(again.ExitCode == ExitCodes.Ok, again.ToString());
        var second = Report(again.Json);
        Assert.Equal((0L, 2L, 0L), second["thread"]);
        Assert.Equal((0L, 5L, 0L), second["message"]);
        Assert.Equal((0L, 6L, 0L), second["setting"]);
        Assert.Equal((0L, 2L, 0L), second["artifact"]);

        // Equal resources are skipped under every policy, also when the bundle leaves optional members out.
        var overwrite = await cli.RunAsync("import", "--from", "sidepanel", db, json, "--conflict", "overwrite", "--json");
        Assert.True(overwrite.ExitCode == ExitCodes.Ok, overwrite.ToString());
        Assert.All(Report(overwrite.Json), kind => Assert.True(kind.Value.Imported == 0, $"{kind.Key}: {kind.Value}"));
    }

    [Fact]
    public async Task Export_DownloadsACheckedBundle_WhichImportsIntoAnEmptyUserWithTheSameContent()
    {
        var user = "cli-export-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        Assert.Equal(ExitCodes.Ok, (await cli.RunAsync("import", "--from", "sidepanel", SidePanelFixture.Create(cli.Folder))).ExitCode);

        var file = Path.Combine(cli.Folder, "export.zip");
        var export = await cli.RunAsync("export", "--output", file, "--json");
        Assert.True(export.ExitCode == ExitCodes.Ok, export.ToString());
        Assert.Equal("done", export.Json.GetProperty("job").GetProperty("state").GetString());
        var kinds = export.Json.GetProperty("manifest").GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!, k => k.GetProperty("count").GetInt64());
        Assert.Equal(2, kinds["thread"]);
        Assert.Equal(5, kinds["message"]);
        Assert.Equal(new FileInfo(file).Length, export.Json.GetProperty("bytes").GetInt64());

        // The same bundle into an empty user, through the environment's token (as a script would).
        var other = "cli-export-copy-" + Guid.NewGuid().ToString("N")[..6];
        var environment = new Dictionary<string, string> { ["ASSISTANT_BACKEND_URL"] = server.Url, ["ASSISTANT_BACKEND_TOKEN"] = CliServer.TokenFor(other) };
        var import = await cli.RunAsync(["import", file, "--json"], environment: environment);
        Assert.True(import.ExitCode == ExitCodes.Ok, import.ToString());
        Assert.Equal((5L, 0L, 0L), Report(import.Json)["message"]);

        using var original = server.ClientFor(user);
        using var copy = server.ClientFor(other);
        foreach (var thread in new[] { "s-1" })
        {
            var a = await original.GetStringAsync($"/api/v1/threads/{thread}/transcript");
            var b = await copy.GetStringAsync($"/api/v1/threads/{thread}/transcript");
            Assert.Equal(a, b);
        }

        // The human summary: one table row per kind.
        var table = await cli.RunAsync(["import", file, "--conflict", "overwrite"], environment: environment);
        Assert.True(table.ExitCode == ExitCodes.Ok, table.ToString());
        Assert.Contains("message", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("overwrite", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IntegrationSecrets_TravelSealedUnderThePassphrase_AndAreLeftOutWithoutIt()
    {
        var user = "cli-secrets-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using (var http = server.ClientFor(user))
        {
            var put = await http.PutAsJsonAsync("/api/v1/integrations/github", new { config = new { org = "acme" }, secrets = new { token = "ghp_example_token_1234" } });
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        var passphraseFile = Path.Combine(cli.Folder, "passphrase.txt");
        await File.WriteAllTextAsync(passphraseFile, "correct horse battery staple\n");
        var sealedBundle = Path.Combine(cli.Folder, "sealed.zip");
        var export = await cli.RunAsync("export", "--output", sealedBundle, "--secrets-passphrase-file", passphraseFile, "--json");
        Assert.True(export.ExitCode == ExitCodes.Ok, export.ToString());
        Assert.DoesNotContain("ghp_example_token_1234", await ReadAllEntriesAsync(sealedBundle), StringComparison.Ordinal);

        // Into an empty user with the passphrase from the environment: the secret is there, usable, with its last four characters.
        var other = "cli-secrets-copy-" + Guid.NewGuid().ToString("N")[..6];
        var environment = new Dictionary<string, string>
        {
            ["ASSISTANT_BACKEND_URL"] = server.Url, ["ASSISTANT_BACKEND_TOKEN"] = CliServer.TokenFor(other), ["ASSISTANT_BACKEND_SECRETS_PASSPHRASE"] = "correct horse battery staple",
        };
        var import = await cli.RunAsync(["import", sealedBundle, "--json"], environment: environment);
        Assert.True(import.ExitCode == ExitCodes.Ok, import.ToString());
        using (var copy = server.ClientFor(other))
        {
            var secret = (await copy.GetFromJsonAsync<JsonElement>("/api/v1/integrations/github")).GetProperty("secrets")[0];
            Assert.Equal(("token", "1234", true), (secret.GetProperty("name").GetString(), secret.GetProperty("last4").GetString(), secret.GetProperty("usable").GetBoolean()));
        }

        // Without a passphrase the export says how many secrets it left out, and the bundle holds none.
        var plainBundle = Path.Combine(cli.Folder, "plain.zip");
        var withoutSecrets = await cli.RunAsync("export", "--output", plainBundle, "--json");
        Assert.True(withoutSecrets.ExitCode == ExitCodes.Ok, withoutSecrets.ToString());
        Assert.Equal(1, withoutSecrets.Json.GetProperty("job").GetProperty("secretsLeftOut").GetInt64());
        Assert.DoesNotContain("sealed.v1", await ReadAllEntriesAsync(plainBundle), StringComparison.Ordinal);
    }

    private static async Task<string> ReadAllEntriesAsync(string zipFile)
    {
        using var zip = ZipFile.OpenRead(zipFile);
        var all = new System.Text.StringBuilder();
        foreach (var entry in zip.Entries)
        {
            using var reader = new StreamReader(entry.Open());
            all.Append(await reader.ReadToEndAsync());
        }

        return all.ToString();
    }

    [Fact]
    public async Task ABundleThatFailsItsChecks_IsRefusedBeforeAnythingIsSent()
    {
        var user = "cli-bad-bundle-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        var good = Path.Combine(cli.Folder, "good.zip");
        Assert.Equal(ExitCodes.Ok, (await cli.RunAsync("import", "--from", "sidepanel", SidePanelFixture.Create(cli.Folder), "--dry-run", "--bundle-out", good)).ExitCode);

        // Change one line's bytes: its checksum no longer matches the manifest.
        var bad = Path.Combine(cli.Folder, "bad.zip");
        File.Copy(good, bad);
        using (var zip = ZipFile.Open(bad, ZipArchiveMode.Update))
        {
            var entry = zip.GetEntry("kinds/thread.ndjson")!;
            string text;
            using (var reader = new StreamReader(entry.Open()))
            {
                text = await reader.ReadToEndAsync();
            }

            entry.Delete();
            using var writer = new StreamWriter(zip.CreateEntry("kinds/thread.ndjson").Open());
            await writer.WriteAsync(text.Replace("Trip planning", "Trip plannin!", StringComparison.Ordinal));
        }

        var run = await cli.RunAsync("import", bad, "--json");
        Assert.Equal(ExitCodes.InputFormat, run.ExitCode);
        Assert.Equal("bundle_checksum", run.Json.GetProperty("error").GetProperty("code").GetString());
        using var http = server.ClientFor(user);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/threads/s-1")).StatusCode);
    }

    [Fact]
    public async Task ADryRun_ConvertsWithoutLogin_AndReportsTheConversion()
    {
        var run = await cli.RunAsync("import", "--from", "sidepanel", SidePanelFixture.Create(cli.Folder), "--dry-run", "--json");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        var kinds = run.Json.GetProperty("conversion").GetProperty("kinds");
        Assert.Equal(2, kinds.GetProperty("thread").GetInt64());
        Assert.Equal(2, kinds.GetProperty("artifact").GetInt64());
        Assert.Equal(2, kinds.GetProperty("event").GetInt64());
        Assert.False(File.Exists(run.Json.GetProperty("conversion").GetProperty("file").GetString()));

        var human = await cli.RunAsync("import", "--from", "sidepanel", SidePanelFixture.Create(cli.Folder), "--dry-run");
        Assert.Equal(ExitCodes.Ok, human.ExitCode);
        Assert.Contains("in the bundle", human.Stdout, StringComparison.Ordinal);
        Assert.Contains("Dry run", human.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnAppFileTheImporterDoesNotUnderstand_Exits7_AndNamesIt()
    {
        var file = Path.Combine(cli.Folder, "not-a-db.db");
        await File.WriteAllTextAsync(file, "{\"sidepanel.theme\": 1");
        var run = await cli.RunAsync("import", "--from", "sidepanel", file, "--dry-run", "--json");
        Assert.Equal(ExitCodes.InputFormat, run.ExitCode);
        Assert.Contains(file, run.Json.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(ExitCodes.Usage, (await cli.RunAsync("import", "--from", "palm-pilot", file)).ExitCode);
    }

    private static Dictionary<string, (long Imported, long Skipped, long Failed)> Report(JsonElement result) =>
        result.GetProperty("job").GetProperty("report").EnumerateArray().ToDictionary(
            k => k.GetProperty("kind").GetString()!,
            k => (k.GetProperty("imported").GetInt64(), k.GetProperty("skipped").GetInt64(), k.GetProperty("failed").GetInt64()));

    private async Task LoginAsync(string user)
    {
        var login = await cli.RunAsync("login", "--url", server.Url, "--token", CliServer.TokenFor(user));
        Assert.True(login.ExitCode == ExitCodes.Ok, login.ToString());
    }
}
