using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Bundles;
using Serverless.Cli.Api;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>export</c>: starts an export (<c>POST /api/v1/me/export</c>), follows the job with progress bars, downloads the
/// bundle (<c>GET …/exports/{id}/bundle</c>) to a file, checks it with the format library's reader (checksums, line
/// counts) and prints what it holds per kind.
/// </summary>
internal sealed class ExportCommand : ICliCommand
{
    public Command Build(CliContext context)
    {
        var output = new Option<string?>("--output", "-o") { Description = "The bundle file to write (default: assistant-backend-export-{time}.zip here)." };
        var passphrase = SecretsPassphrase.CreateOption("seals your integrations' secrets in the bundle");
        var wait = WaitOption.Create(1800);
        var command = new Command("export", "Exports all your data as one bundle file (zip: manifest, NDJSON per kind, blobs).") { output, passphrase, wait };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async console =>
        {
            using var client = CliApp.Client(parsed, context);
            var file = Path.GetFullPath(parsed.GetValue(output) ?? $"assistant-backend-export-{DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}.zip");
            var secrets = await SecretsPassphrase.ReadAsync(parsed, passphrase, context, cancellationToken);
            var body = secrets is null ? null : new JsonObject { ["secretsPassphrase"] = secrets }.ToJsonString();
            var (job, bytes) = await console.WithProgressAsync(async progress =>
            {
                var started = await client.PostAsync("api/v1/me/export", body, cancellationToken);
                var location = started.Location ?? throw new CliException(ExitCodes.Server, "unexpected_answer", "The export was accepted without a Location to follow.");
                var final = await JobProgress.FollowAsync(client, location, started.Body, progress, WaitOption.Of(parsed, wait), cancellationToken);
                JobProgress.ThrowIfFailed(final);
                var download = progress?.AddTask("download", maxValue: Math.Max(1, final.TryGetProperty("bundleBytes", out var b) && b.ValueKind == JsonValueKind.Number ? b.GetInt64() : 1));
                var written = await client.DownloadAsync(Tables.Text(final, "download"), file, (done, total) =>
                {
                    if (download is not null)
                    {
                        download.MaxValue = Math.Max(1, total ?? done);
                        download.Value = done;
                    }
                }, cancellationToken);
                return (final, written);
            });

            var manifest = await BundleCheck.VerifyAsync(file, cancellationToken);
            console.Result(
                new JsonObject { ["file"] = file, ["bytes"] = bytes, ["job"] = JsonNode.Parse(job.GetRawText()), ["manifest"] = JsonSerializer.SerializeToNode(manifest, BundleManifest.JsonOptions) },
                ansi =>
                {
                    var table = Tables.New(1, "kind", "resources", "bytes");
                    foreach (var kind in manifest.Kinds)
                    {
                        table.AddRow(Markup.Escape(kind.Kind), kind.Count.ToString("N0", CultureInfo.InvariantCulture), Tables.Bytes(kind.Bytes));
                    }

                    table.AddRow("blobs", manifest.Blobs.Count.ToString("N0", CultureInfo.InvariantCulture), Tables.Bytes(manifest.Blobs.Sum(b => b.Bytes)));
                    table.Caption(Markup.Escape($"{file} ({Tables.Bytes(bytes)}), checked: every checksum and line count matches its manifest"));
                    ansi.Write(table);
                });
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>Checks a bundle file with the format library's reader, as the server will.</summary>
internal static class BundleCheck
{
    /// <summary>The kinds of the bundle format (<see cref="BundleKinds"/>): what the server exports and imports, and the importers write.</summary>
    public static IReadOnlySet<string> Kinds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        BundleKinds.Thread, BundleKinds.Message, BundleKinds.Summary, BundleKinds.Setting, BundleKinds.Artifact, BundleKinds.Mission,
        BundleKinds.Memory, BundleKinds.Run, BundleKinds.Event, BundleKinds.Record, BundleKinds.Integration,
    };

    /// <summary>Reads every line and blob of <paramref name="file"/>; a bundle that fails a check is exit 7 with the check's code.</summary>
    public static async Task<BundleManifest> VerifyAsync(string file, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = File.OpenRead(file);
            await using var reader = await BundleReader.OpenAsync(stream, Kinds, BundleLimits.Default, cancellationToken);
            foreach (var kind in reader.Manifest.Kinds)
            {
                await foreach (var line in reader.ReadLinesAsync(kind.Kind, cancellationToken))
                {
                    _ = line;
                }
            }

            await reader.VerifyBlobsAsync(cancellationToken);
            return reader.Manifest;
        }
        catch (BundleException e)
        {
            throw new CliException(ExitCodes.InputFormat, e.Code, $"{file}: {e.Message}");
        }
    }
}
