using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Cli.Api;
using Serverless.Cli.Importers;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>import</c>: sends a bundle to the server (<c>POST /api/v1/me/import?conflict=…</c>) and follows the job to its
/// report. With <c>--from sidepanel|nova|nofx|halo</c> the paths are an app's own data, converted to a bundle first
/// (<see cref="IAppImporter"/>); <c>--dry-run</c> stops after the conversion (no server needed).
/// </summary>
internal sealed class ImportCommand : ICliCommand
{
    public Command Build(CliContext context)
    {
        var paths = new Argument<string[]>("paths") { Description = "A bundle file; with --from, the app's files or folders (see README, 'Importers').", Arity = ArgumentArity.OneOrMore };
        var from = new Option<string?>("--from") { Description = "Convert an app's data first: sidepanel (SQLite file and/or exportAll JSON), nova (files or the HUD folder), nofx (workspace or .nofx folder), halo (Halo's data folder)." };
        from.AcceptOnlyFromAmong("sidepanel", "nova", "nofx", "halo");
        var conflict = new Option<string>("--conflict") { Description = "What to do with a resource whose id exists: skip (keep yours), overwrite, keepBoth (import under a new id).", DefaultValueFactory = _ => "skip" };
        conflict.AcceptOnlyFromAmong("skip", "overwrite", "keepBoth");
        var secretKey = new Option<string?>("--secret-key") { Description = "Nova: the AES-256-GCM key (base64 or hex) its integrations-config.json secrets are encrypted with; without it secrets are left out." };
        var bundleOut = new Option<string?>("--bundle-out") { Description = "With --from: keep the converted bundle in this file." };
        var passphrase = SecretsPassphrase.CreateOption("opens the integration secrets a server's export sealed");
        var dryRun = new Option<bool>("--dry-run") { Description = "With --from: convert and report, send nothing." };
        var wait = WaitOption.Create(1800);
        var command = new Command("import", "Imports a bundle, or an app's existing data (--from), into your account; prints what was imported, skipped and failed.")
        {
            paths, from, conflict, secretKey, bundleOut, passphrase, dryRun, wait,
        };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async output =>
        {
            var files = parsed.GetValue(paths)!;
            var app = parsed.GetValue(from);
            if (app is null && (files.Length != 1 || parsed.GetValue(dryRun) || parsed.GetValue(bundleOut) is not null))
            {
                throw new CliException(ExitCodes.Usage, "usage", "Without --from, import takes exactly one bundle file (and no --dry-run or --bundle-out).");
            }

            var result = new JsonObject();
            string bundle;
            var temporary = false;
            if (app is null)
            {
                bundle = Path.GetFullPath(files[0]);
                var manifest = await BundleCheck.VerifyAsync(bundle, cancellationToken);
                result["bundle"] = new JsonObject { ["file"] = bundle, ["kinds"] = new JsonObject(manifest.Kinds.Select(k => KeyValuePair.Create(k.Kind, (JsonNode?)k.Count))) };
            }
            else
            {
                var importer = Create(app, files, parsed.GetValue(secretKey));
                bundle = parsed.GetValue(bundleOut) is { } kept ? Path.GetFullPath(kept) : Path.Combine(Path.GetTempPath(), $"assistant-backend-{app}-{Guid.NewGuid():N}.zip");
                temporary = parsed.GetValue(bundleOut) is null;
                var conversion = await ConvertAsync(importer, bundle, cancellationToken);
                result["conversion"] = conversion;
                if (!output.Json)
                {
                    RenderConversion(output.Console, conversion);
                }
            }

            try
            {
                if (parsed.GetValue(dryRun))
                {
                    output.Result(result, console => console.MarkupLine(temporary ? "Dry run: nothing was sent." : $"Dry run: nothing was sent; the bundle is {Markup.Escape(bundle)}."));
                    return ExitCodes.Ok;
                }

                using var client = CliApp.Client(parsed, context);
                var secrets = await SecretsPassphrase.ReadAsync(parsed, passphrase, context, cancellationToken);
                var job = await output.WithProgressAsync(async progress =>
                {
                    var upload = progress?.AddTask("upload", maxValue: Math.Max(1, new FileInfo(bundle).Length));
                    var started = await client.UploadAsync(
                        $"api/v1/me/import?conflict={Uri.EscapeDataString(parsed.GetValue(conflict)!)}",
                        bundle,
                        "application/zip",
                        upload is null ? null : new Progress<long>(sent => upload.Value = sent),
                        secrets is null ? null : new Dictionary<string, string> { ["Secrets-Passphrase"] = secrets },
                        cancellationToken);
                    var location = started.Location ?? throw new CliException(ExitCodes.Server, "unexpected_answer", "The import was accepted without a Location to follow.");
                    return await JobProgress.FollowAsync(client, location, started.Body, progress, WaitOption.Of(parsed, wait), cancellationToken);
                });
                JobProgress.ThrowIfFailed(job);
                result["job"] = JsonNode.Parse(job.GetRawText());
                output.Result(result, console => RenderReport(console, job));
                return Tables.Items(job, "report").Any(k => k.GetProperty("failed").GetInt64() > 0) ? ExitCodes.Incomplete : ExitCodes.Ok;
            }
            finally
            {
                if (temporary)
                {
                    File.Delete(bundle);
                }
            }
        }));
        return command;
    }

    /// <summary>The importer of <paramref name="app"/>.</summary>
    internal static IAppImporter Create(string app, IReadOnlyList<string> paths, string? secretKey) => app switch
    {
        "sidepanel" => new SidePanelImporter(paths),
        "nova" => new NovaImporter(paths, secretKey is null ? null : NovaImporter.ParseKey(secretKey)),
        "nofx" when paths.Count == 1 => new NofxImporter(paths[0]),
        "halo" when paths.Count == 1 => new HaloImporter(paths[0]),
        _ => throw new CliException(ExitCodes.Usage, "usage", $"--from {app} takes one folder."),
    };

    /// <summary>Writes <paramref name="importer"/>'s bundle to <paramref name="file"/> (0600: it may hold an app's secrets) and describes it.</summary>
    internal static async Task<JsonObject> ConvertAsync(IAppImporter importer, string file, CancellationToken cancellationToken)
    {
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        BundleBuilder builder;
        await using (var stream = new FileStream(file, options))
        {
            builder = await BundleBuilder.CreateAsync(stream, importer.App, cancellationToken);
            await using (builder)
            {
                try
                {
                    await importer.WriteAsync(builder, cancellationToken);
                    await builder.CompleteAsync(cancellationToken);
                }
                catch
                {
                    await builder.DisposeAsync();
                    await stream.DisposeAsync();
                    File.Delete(file);
                    throw;
                }
            }
        }

        var notes = new JsonArray(builder.Notes.Select(n => (JsonNode?)new JsonObject { ["kind"] = n.Kind, ["source"] = n.Source, ["reason"] = n.Reason }).ToArray());
        return new JsonObject
        {
            ["app"] = importer.App,
            ["file"] = file,
            ["kinds"] = new JsonObject(builder.Counts.Select(c => KeyValuePair.Create(c.Key, (JsonNode?)c.Value))),
            ["notes"] = notes,
        };
    }

    private static void RenderConversion(IAnsiConsole console, JsonObject conversion)
    {
        var table = Tables.New(1, "kind", "in the bundle");
        foreach (var (kind, count) in conversion["kinds"]!.AsObject().OrderBy(k => k.Key, StringComparer.Ordinal))
        {
            table.AddRow(Markup.Escape(kind), count?.ToString() ?? "0");
        }

        table.Caption(Markup.Escape($"converted from {conversion["app"]}"));
        console.Write(table);
        foreach (var note in conversion["notes"]!.AsArray())
        {
            console.MarkupLine("[yellow]note[/] " + Markup.Escape($"{note!["source"]}: {note["reason"]}"));
        }
    }

    private static void RenderReport(IAnsiConsole console, JsonElement job)
    {
        var table = Tables.New(1, "kind", "imported", "skipped", "failed");
        var issues = new List<(string Kind, string Id, string Reason, bool Failed)>();
        foreach (var kind in Tables.Items(job, "report"))
        {
            var name = Tables.Text(kind, "kind");
            table.AddRow(Markup.Escape(name), Tables.Count(kind, "imported"), Tables.Count(kind, "skipped"), Tables.Count(kind, "failed"));
            issues.AddRange(Tables.Items(kind, "failures").Select(f => (name, Tables.Text(f, "id"), Tables.Text(f, "reason"), true)));
            issues.AddRange(Tables.Items(kind, "notes").Select(f => (name, Tables.Text(f, "id"), Tables.Text(f, "reason"), false)));
        }

        table.Caption(Markup.Escape($"import {Tables.Text(job, "id")} ({Tables.Text(job, "conflict")}): {Tables.Text(job, "state")}"));
        console.Write(table);
        foreach (var (kind, id, reason, failed) in issues)
        {
            console.MarkupLine((failed ? "[red]failed[/] " : "[yellow]note[/] ") + Markup.Escape($"{kind} {id}: {reason}"));
        }
    }
}
