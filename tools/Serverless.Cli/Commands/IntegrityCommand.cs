using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Cli.Api;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>integrity</c>: the server's last integrity check of your data (<c>GET /api/v1/me/integrity</c>), or with
/// <c>--repair</c> a repair and a new check (<c>POST /api/v1/me/integrity/repair</c>). Exit code 10
/// (<see cref="ExitCodes.Incomplete"/>) when problems are left, so a script can act on it.
/// </summary>
internal sealed class IntegrityCommand : ICliCommand
{
    public Command Build(CliContext context)
    {
        var repair = new Option<bool>("--repair") { Description = "Repair what can be repaired safely (counters, list rows, orphans, retention schedule), then check again." };
        var wait = WaitOption.Create();
        var command = new Command("integrity", "Checks your data for dangling references, orphan blobs and counter mismatches (exit 10 when problems are left).") { repair, wait };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async output =>
        {
            using var client = CliApp.Client(parsed, context);
            var repairing = parsed.GetValue(repair);
            var answer = repairing
                ? await client.PostAsync("api/v1/me/integrity/repair", null, cancellationToken)
                : await client.GetAsync("api/v1/me/integrity", cancellationToken);
            if (answer.Status == HttpStatusCode.Accepted)
            {
                output.Note(repairing ? "The server is repairing your data…" : "The server is checking your data…");
                // After a queued repair the kept report is final once no recheck is pending and it records the repair.
                answer = await Polling.UntilAsync(
                    client,
                    "api/v1/me/integrity",
                    a => a.Status == HttpStatusCode.OK && Tables.Text(a.Body, "recheckRequestedAt").Length == 0 && (!repairing || Tables.Text(a.Body, "repairedAt").Length > 0),
                    WaitOption.Of(parsed, wait),
                    null,
                    cancellationToken);
            }

            var report = answer.Body;
            output.Result(JsonNode.Parse(report.GetRawText()), console => Render(console, report));
            return report.GetProperty("problemCount").GetInt32() == 0 ? ExitCodes.Ok : ExitCodes.Incomplete;
        }));
        return command;
    }

    private static void Render(IAnsiConsole console, JsonElement report)
    {
        foreach (var line in Tables.Items(report, "repairs"))
        {
            console.MarkupLineInterpolated($"[green]repaired[/] {line.GetString()}");
        }

        var problems = report.GetProperty("problemCount").GetInt32();
        if (problems == 0)
        {
            console.MarkupLineInterpolated($"[green]No problems[/] (checked {Tables.Text(report, "checkedAt")}).");
            return;
        }

        var table = Tables.New(3, "problem", "subject", "detail", "repairable");
        foreach (var problem in Tables.Items(report, "problems"))
        {
            table.AddRow(Markup.Escape(Tables.Text(problem, "code")), Markup.Escape(Tables.Text(problem, "subject")), Markup.Escape(Tables.Text(problem, "detail")), Tables.Text(problem, "repairable"));
        }

        var byCode = string.Join(", ", Tables.Items(report, "byCode").Select(c => $"{Tables.Text(c, "code")}: {Tables.Text(c, "count")}"));
        table.Caption(Markup.Escape($"{problems} problem(s) ({byCode}), checked {Tables.Text(report, "checkedAt")}; 'integrity --repair' fixes the repairable ones"));
        console.Write(table);
    }
}
