using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The README's run command, for real: scripts/run starts its own Azurite (data and log in the folder of its
/// port set), builds and starts the app, and prints a token and curl commands that work; missions deliver to a
/// receiver on this machine out of the box. Ports are moved off the defaults so a developer's own running
/// instance cannot interfere.
/// </summary>
public sealed partial class LocalRunScriptTests
{
    [Fact]
    public async Task RunScript_StartsEverything_AndItsPrintedTokenWorks()
    {
        var ports = FreePorts.Take(4);
        var azuriteDir = RepositoryPaths.Combine(".azurite", $"{ports[1]}-{ports[3]}-{ports[2]}");
        await using var receiver = await WebhookReceiver.StartAsync();
        var start = new ProcessStartInfo(RepositoryPaths.Combine("scripts", "run"))
        {
            WorkingDirectory = RepositoryPaths.Root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            Environment =
            {
                ["PORT"] = ports[0].ToString(),
                ["AZURITE_BLOB_PORT"] = ports[1].ToString(),
                ["AZURITE_TABLE_PORT"] = ports[2].ToString(),
                ["AZURITE_QUEUE_PORT"] = ports[3].ToString(),
            },
        };
        var output = new StringBuilder();
        var tokenSeen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data is { } line && TokenLine().Match(line) is { Success: true } match)
            {
                tokenSeen.TrySetResult(match.Groups[1].Value);
            }
        };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        try
        {
            // The script builds the app first: on a loaded 2-core machine, during the full suite, that took over 4 minutes.
            var token = await tokenSeen.Task.WaitAsync(TimeSpan.FromMinutes(8));
            using var http = new HttpClient { BaseAddress = new Uri($"http://localhost:{ports[0]}") };
            await WaitForHealthAsync(http, TimeSpan.FromSeconds(60));
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

            var put = await http.PutAsync("/api/v1/settings/ui/theme", new StringContent("""{"value":{"mode":"dark"}}""", Encoding.UTF8, "application/json"));
            var list = await http.GetStringAsync("/api/v1/settings/ui");

            Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT answered {(int)put.StatusCode}");
            Assert.Contains("\"mode\":\"dark\"", list, StringComparison.Ordinal);
            Assert.Contains($"curl -s http://localhost:{ports[0]}/api/v1/settings/ui", Snapshot(output), StringComparison.Ordinal);
            Assert.Contains("Running the local ASP.NET Core server", Snapshot(output), StringComparison.Ordinal);

            // Azurite of this port set keeps its data and log in its own folder, and says so.
            Assert.Contains($"Started Azurite (data in .azurite/{ports[1]}-{ports[3]}-{ports[2]}/", Snapshot(output), StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(azuriteDir, "azurite.log")), $"no log in {azuriteDir}");
            Assert.True(File.Exists(Path.Combine(azuriteDir, "__azurite_db_table__.json")), $"no table data in {azuriteDir}");

            // A webhook receiver on this machine (plain http, loopback, a port nobody allow-listed) gets a run now.
            Assert.Contains("Missions may deliver to webhook receivers on this machine", Snapshot(output), StringComparison.Ordinal);
            var created = await http.PostAsync("/api/v1/missions", new StringContent(
                $$"""{"name":"local","intervalSeconds":3600,"url":"{{receiver.Url("/local")}}"}""", Encoding.UTF8, "application/json"));
            Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
            var missionId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("mission").GetProperty("id").GetString();
            var run = await http.PostAsync($"/api/v1/missions/{missionId}/run", null);
            var runText = await run.Content.ReadAsStringAsync();
            Assert.True(run.StatusCode == HttpStatusCode.OK, runText);
            Assert.Equal("succeeded", System.Text.Json.JsonDocument.Parse(runText).RootElement.GetProperty("status").GetString());
            Assert.Single(receiver.At("/local"));

            // The printed way to mint more tokens works as printed, from a new shell with nothing of ours set.
            var mint = Snapshot(output).Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("(cd ", StringComparison.Ordinal) && l.Contains("mint-token", StringComparison.Ordinal));
            var shell = new ProcessStartInfo("bash", ["-c", mint.Replace("<userId>", "someone-else", StringComparison.Ordinal)])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var name in shell.Environment.Keys.Where(k => k.StartsWith("ASPNETCORE_", StringComparison.Ordinal) || k.StartsWith("DOTNET_ENVIRONMENT", StringComparison.Ordinal)).ToList())
            {
                shell.Environment.Remove(name);
            }

            using var minting = Process.Start(shell)!;
            var minted = (await minting.StandardOutput.ReadToEndAsync()).Trim();
            await minting.WaitForExitAsync();
            Assert.True(minting.ExitCode == 0, await minting.StandardError.ReadToEndAsync());
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", minted);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/settings/ui")).StatusCode);
        }
        catch (Exception e) when (e is TimeoutException or HttpRequestException)
        {
            throw new InvalidOperationException($"scripts/run did not come up: {e.Message}\n{Snapshot(output)}", e);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            if (Directory.Exists(azuriteDir))
            {
                Directory.Delete(azuriteDir, recursive: true);
            }
        }
    }

    private static async Task WaitForHealthAsync(HttpClient http, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                if ((await http.GetAsync("/api/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("/api/health never answered 200.");
            }

            await Task.Delay(200);
        }
    }

    private static string Snapshot(StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    [GeneratedRegex(@"^export TOKEN=(\S+)$")]
    private static partial Regex TokenLine();
}
