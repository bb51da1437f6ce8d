using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Cli;
using Serverless.Storage.Users;

namespace Serverless.Tests.Cli;

/// <summary>
/// The command-line tool end to end against the real local server process on Azurite: login (token, bad token,
/// development token through the server's mint-token), usage, integrity (a real problem made in the table, found and
/// repaired), erase (confirmation, receipt, data gone), and the exit codes and <c>--json</c> documents scripts rely on.
/// </summary>
public sealed class CliCommandTests(CliServer server) : IClassFixture<CliServer>, IDisposable
{
    private readonly CliRunner cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Login_WithAToken_StoresItReadableByTheOwnerOnly_AndUsageShowsTheUsersData()
    {
        var user = "cli-usage-" + Guid.NewGuid().ToString("N")[..6];
        using (var http = server.ClientFor(user))
        {
            (await http.PostAsJsonAsync("/api/v1/threads", new { id = "t1", title = "hello" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = "hi there" })).EnsureSuccessStatusCode();
        }

        var login = await cli.RunAsync("login", "--url", server.Url, "--token", CliServer.TokenFor(user), "--json");
        Assert.True(login.ExitCode == ExitCodes.Ok, login.ToString());
        Assert.Equal(server.Url, login.Json.GetProperty("baseUrl").GetString());
        Assert.True(login.Json.GetProperty("verified").GetBoolean());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(cli.ConfigPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(cli.ConfigPath)!));
        }

        Assert.Contains(CliServer.TokenFor(user)[..20], await File.ReadAllTextAsync(cli.ConfigPath), StringComparison.Ordinal);

        var usage = await cli.RunAsync("usage", "--refresh", "--json");
        Assert.True(usage.ExitCode == ExitCodes.Ok, usage.ToString());
        var kinds = usage.Json.GetProperty("kinds").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!, k => k.GetProperty("rows").GetInt64());
        Assert.Equal(1, kinds["thread"]);
        Assert.Equal(1, kinds["message"]);
        Assert.True(usage.Json.GetProperty("totals").GetProperty("rows").GetInt64() >= 2);

        var table = await cli.RunAsync("usage");
        Assert.Equal(ExitCodes.Ok, table.ExitCode);
        Assert.Contains("message", table.Stdout, StringComparison.Ordinal);
        Assert.Contains("total", table.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_WithATokenTheServerRefuses_ExitsWithTheAuthCode_AndStoresNothing()
    {
        var login = await cli.RunAsync("login", "--url", server.Url, "--token", "not-a-jwt", "--json");
        Assert.Equal(ExitCodes.Auth, login.ExitCode);
        Assert.Equal("unauthorized", login.Json.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(ExitCodes.Auth, login.Json.GetProperty("error").GetProperty("exitCode").GetInt32());
        Assert.False(File.Exists(cli.ConfigPath));
    }

    [Fact]
    public async Task Commands_BeforeLogin_ExitWithTheAuthCode_AndSaySo()
    {
        var usage = await cli.RunAsync("usage", "--json");
        Assert.Equal(ExitCodes.Auth, usage.ExitCode);
        Assert.Equal("not_logged_in", usage.Json.GetProperty("error").GetProperty("code").GetString());

        var human = await cli.RunAsync("integrity");
        Assert.Equal(ExitCodes.Auth, human.ExitCode);
        Assert.Contains("Not logged in", human.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheEnvironment_OverridesTheConfigFile_ForScripts()
    {
        var user = "cli-env-" + Guid.NewGuid().ToString("N")[..6];
        var usage = await cli.RunAsync(["usage", "--json"], environment: new Dictionary<string, string> { ["ASSISTANT_BACKEND_URL"] = server.Url, ["ASSISTANT_BACKEND_TOKEN"] = CliServer.TokenFor(user) });
        Assert.True(usage.ExitCode == ExitCodes.Ok, usage.ToString());
        Assert.Equal(0, usage.Json.GetProperty("totals").GetProperty("rows").GetInt64());
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("usage", "--no-such-option")]
    [InlineData("login")]
    [InlineData("login", "--url", "http://localhost:1", "--token", "a", "--dev-user", "b")]
    [InlineData("login", "--url", "not a url", "--token", "a")]
    public async Task AWrongCommandLine_ExitsWithTheUsageCode(params string[] args)
    {
        var run = await cli.RunAsync([.. args, "--json"]);
        Assert.True(run.ExitCode == ExitCodes.Usage, run.ToString());
        Assert.Equal(ExitCodes.Usage, run.Json.GetProperty("error").GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task AServerThatCannotBeReached_ExitsWithTheServerCode()
    {
        var port = FreePorts.Take(1)[0];
        var run = await cli.RunAsync("login", "--url", $"http://127.0.0.1:{port}", "--token", "x", "--json");
        Assert.Equal(ExitCodes.Server, run.ExitCode);
        Assert.Equal("server_unreachable", run.Json.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Integrity_FindsAProblemMadeInTheTable_Exits10_AndRepairFixesIt()
    {
        var user = "cli-integrity-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using (var http = server.ClientFor(user))
        {
            (await http.PostAsJsonAsync("/api/v1/threads", new { id = "t1" })).EnsureSuccessStatusCode();
        }

        var clean = await cli.RunAsync("integrity", "--json");
        Assert.True(clean.ExitCode == ExitCodes.Ok, clean.ToString());
        Assert.Equal(0, clean.Json.GetProperty("problemCount").GetInt32());

        // Lose the thread's row in the recent-activity list, as a crash between writes would.
        var table = new TableClient((await Azurite.Shared).ConnectionString, server.UserTable);
        var partition = UserPartition.For(user).Key;
        var recent = table.Query<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {UserRowKeys.Recents} and RowKey lt {UserRowKeys.Recents + "~"}")).Single();
        await table.DeleteEntityAsync(recent.PartitionKey, recent.RowKey);

        var broken = await cli.RunAsync("integrity", "--repair", "--json");
        Assert.True(broken.ExitCode == ExitCodes.Ok, broken.ToString());
        Assert.NotEqual(JsonValueKind.Null, broken.Json.GetProperty("repairedAt").ValueKind);
        Assert.NotEmpty(broken.Json.GetProperty("repairs").EnumerateArray());
        Assert.Single(table.Query<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {partition} and RowKey ge {UserRowKeys.Recents} and RowKey lt {UserRowKeys.Recents + "~"}")));
    }

    [Fact]
    public async Task Integrity_WithProblemsLeft_Exits10_WithATable()
    {
        var user = "cli-integrity-left-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using (var http = server.ClientFor(user))
        {
            (await http.PostAsJsonAsync("/api/v1/threads", new { id = "t1" })).EnsureSuccessStatusCode();
            (await http.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = new string('x', 20_000) })).EnsureSuccessStatusCode();
        }

        // A message whose offloaded text is gone: a dangling reference, which no repair can fix.
        var container = new Azure.Storage.Blobs.BlobContainerClient((await Azurite.Shared).ConnectionString, server.PayloadContainer, Serverless.Storage.Pipeline.StoragePipeline.BlobOptions());
        await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, UserPartition.For(user).Key + "/", default))
        {
            await container.DeleteBlobAsync(blob.Name);
        }

        var run = await cli.RunAsync("integrity", "--repair");
        Assert.True(run.ExitCode == ExitCodes.Incomplete, run.ToString());
        Assert.Contains("dangling_reference", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Erase_WithoutATerminalOrYes_RefusesWithCode9_AndErasesNothing()
    {
        var user = "cli-erase-refused-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using var http = server.ClientFor(user);
        (await http.PostAsJsonAsync("/api/v1/threads", new { id = "keep" })).EnsureSuccessStatusCode();

        var run = await cli.RunAsync("erase", "--json");
        Assert.Equal(ExitCodes.Aborted, run.ExitCode);
        Assert.Equal("confirmation_required", run.Json.GetProperty("error").GetProperty("code").GetString());

        var wrong = await cli.RunAsync(["erase"], input: "some-other-host\n", interactive: true);
        Assert.Equal(ExitCodes.Aborted, wrong.ExitCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/threads/keep")).StatusCode);
    }

    [Fact]
    public async Task Erase_Confirmed_ErasesEverything_AndPrintsTheReceipt()
    {
        var user = "cli-erase-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using var http = server.ClientFor(user);
        (await http.PostAsJsonAsync("/api/v1/threads", new { id = "gone" })).EnsureSuccessStatusCode();
        (await http.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "dark" })).EnsureSuccessStatusCode();

        var run = await cli.RunAsync(["erase"], input: "127.0.0.1\n", interactive: true);
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Contains("erasure receipt", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("setting", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/threads/gone")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/settings/ui/theme")).StatusCode);
    }

    [Fact]
    public async Task Erase_WithYes_PrintsTheReceiptAsJson()
    {
        var user = "cli-erase-json-" + Guid.NewGuid().ToString("N")[..6];
        await LoginAsync(user);
        using var http = server.ClientFor(user);
        (await http.PostAsJsonAsync("/api/v1/threads", new { id = "gone" })).EnsureSuccessStatusCode();

        var run = await cli.RunAsync("erase", "--yes", "--json");
        Assert.True(run.ExitCode == ExitCodes.Ok, run.ToString());
        Assert.Equal("done", run.Json.GetProperty("state").GetString());
        Assert.True(run.Json.GetProperty("totals").GetProperty("rows").GetInt64() >= 1);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/threads/gone")).StatusCode);
    }

    [Fact]
    public async Task TheInstalledProgram_LogsInWithADevelopmentToken_AndExitCodesReachTheShell()
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "assistant-backend.dll");
        var dll = Path.Combine(AppContext.BaseDirectory, "Serverless.Functions.dll");
        var login = await RunProcessAsync(tool, "login", "--url", server.Url, "--dev-user", "cli-process-user", "--server-dll", dll, "--config", cli.ConfigPath, "--json");
        Assert.True(login.ExitCode == ExitCodes.Ok, login.ToString());

        var usage = await RunProcessAsync(tool, "usage", "--config", cli.ConfigPath, "--json");
        Assert.True(usage.ExitCode == ExitCodes.Ok, usage.ToString());
        Assert.Equal(0, usage.Json.GetProperty("totals").GetProperty("rows").GetInt64());

        var wrong = await RunProcessAsync(tool, "usage", "--bogus", "--config", cli.ConfigPath);
        Assert.Equal(ExitCodes.Usage, wrong.ExitCode);
        Assert.Contains("--bogus", wrong.Stderr, StringComparison.Ordinal);
    }

    private async Task LoginAsync(string user)
    {
        var login = await cli.RunAsync("login", "--url", server.Url, "--token", CliServer.TokenFor(user));
        Assert.True(login.ExitCode == ExitCodes.Ok, login.ToString());
    }

    private static async Task<CliRun> RunProcessAsync(string tool, params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("ASSISTANT_BACKEND_URL");
        start.Environment.Remove("ASSISTANT_BACKEND_TOKEN");
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
