using System.Diagnostics;
using System.IO.Compression;
using System.Text.Json;
using NCrontab;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>scripts/publish, run once per test run: the Flex Consumption zip the platform needs.</summary>
public sealed class PublishPackageTests : IClassFixture<PublishPackageTests.Package>
{
    private readonly Package package;

    public PublishPackageTests(Package package) => this.package = package;

    [Fact]
    public void Package_HoldsWhatTheHostReads()
    {
        foreach (var entry in new[] { "functions.metadata", "worker.config.json", "host.json", "extensions.json", "Serverless.Functions.dll" })
        {
            Assert.Contains(entry, package.Entries);
        }

        Assert.Contains(package.Entries, e => e.StartsWith(".azurefunctions/", StringComparison.Ordinal));
        var worker = JsonDocument.Parse(package.Read("worker.config.json")).RootElement.GetProperty("description");
        Assert.Equal("dotnet-isolated", worker.GetProperty("language").GetString());
        Assert.Equal("Serverless.Functions.dll", worker.GetProperty("defaultWorkerPath").GetString());
        var host = JsonDocument.Parse(package.Read("host.json")).RootElement;
        Assert.Equal("api", host.GetProperty("extensions").GetProperty("http").GetProperty("routePrefix").GetString());
        Assert.False(host.TryGetProperty("customHandler", out _));
    }

    [Fact]
    public void Package_FunctionsAreAnonymousHttpTriggers_AndTimersOnTheirConfiguredSchedules()
    {
        var functions = JsonDocument.Parse(package.Read("functions.metadata")).RootElement.EnumerateArray().Select(f => f.GetProperty("bindings")[0]).ToList();
        var settings = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Combine("local.settings.sample.json"))).RootElement.GetProperty("Values");
        var http = functions.Where(b => b.GetProperty("type").GetString() == "httpTrigger").ToList();
        var timers = functions.Where(b => b.GetProperty("type").GetString() == "timerTrigger").ToList();

        Assert.Equal(FunctionCatalogTests.BuiltFunctions().Length, functions.Count);
        Assert.All(http, b => Assert.Equal("Anonymous", b.GetProperty("authLevel").GetString()));
        Assert.NotEmpty(timers);
        foreach (var timer in timers)
        {
            // %Setting% is resolved by the host from its app settings: the sample (local.settings.json) has a valid schedule for it.
            var schedule = System.Text.RegularExpressions.Regex.Replace(timer.GetProperty("schedule").GetString()!, "%([^%]+)%",
                m => settings.GetProperty(m.Groups[1].Value.Replace(":", "__", StringComparison.Ordinal)).GetString()!);
            Assert.NotNull(CrontabSchedule.TryParse(schedule, new CrontabSchedule.ParseOptions { IncludingSeconds = true }));
        }
    }

    /// <summary>The package, built once for the class by the real script into artifacts/test-publish.</summary>
    public sealed class Package : IAsyncLifetime
    {
        private readonly Dictionary<string, string> texts = [];

        public IReadOnlyCollection<string> Entries => texts.Keys;

        public string Read(string entry) => texts[entry];

        public async Task InitializeAsync()
        {
            var output = RepositoryPaths.Combine("artifacts", "test-publish");
            var start = new ProcessStartInfo("bash", [RepositoryPaths.Combine("scripts", "publish"), output])
            {
                WorkingDirectory = RepositoryPaths.Root,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(10));
            Assert.True(process.ExitCode == 0, await stdout + await stderr);

            using var zip = ZipFile.OpenRead(output + ".zip");
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName.Replace('\\', '/');
                texts[name] = name.EndsWith(".json", StringComparison.Ordinal) || name.EndsWith(".metadata", StringComparison.Ordinal)
                    ? await new StreamReader(entry.Open()).ReadToEndAsync()
                    : string.Empty;
            }
        }

        public Task DisposeAsync() => Task.CompletedTask;
    }
}
