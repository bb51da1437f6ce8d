using System.CommandLine;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Cli.Api;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>erase</c>: erases every row, blob and index entry of your account (<c>DELETE /api/v1/me</c>), after a
/// confirmation (type the server's host name) or with <c>--yes</c>; then follows the job (<c>GET /api/v1/me/erasure</c>)
/// and prints the receipt. Without a terminal and without <c>--yes</c> it refuses (exit 9): a script must say so.
/// </summary>
internal sealed class EraseCommand : ICliCommand
{
    public Command Build(CliContext context)
    {
        var yes = new Option<bool>("--yes") { Description = "Do not ask for confirmation (scripts)." };
        var wait = WaitOption.Create(600);
        var command = new Command("erase", "Erases ALL your data on the server (threads, messages, settings, missions, blobs) and prints the receipt.") { yes, wait };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async output =>
        {
            using var client = CliApp.Client(parsed, context);
            var host = client.BaseAddress.Host;
            if (!parsed.GetValue(yes))
            {
                if (!context.InputIsInteractive || output.Json)
                {
                    throw new CliException(ExitCodes.Aborted, "confirmation_required", "erase needs a confirmation: run it in a terminal, or pass --yes.");
                }

                context.Console.MarkupLineInterpolated($"[red bold]This erases all your data on {client.BaseAddress}.[/] It cannot be undone.");
                context.Console.Markup(Markup.Escape($"Type the server's host name ({host}) to confirm: "));
                var typed = (await context.Input.ReadLineAsync(cancellationToken))?.Trim();
                if (!string.Equals(typed, host, StringComparison.OrdinalIgnoreCase))
                {
                    throw new CliException(ExitCodes.Aborted, "not_confirmed", "Not confirmed; nothing was erased.");
                }
            }

            var answer = await output.WithProgressAsync(async progress =>
            {
                var task = progress?.AddTask("erasing", maxValue: 4);
                var first = await client.DeleteAsync("api/v1/me", cancellationToken);
                Show(task, first.Body);
                return first.Status == HttpStatusCode.OK
                    ? first
                    : await Polling.UntilAsync(client, "api/v1/me/erasure", a => Tables.Text(a.Body, "state") == "done", WaitOption.Of(parsed, wait), a => Show(task, a.Body), cancellationToken);
            });

            var receipt = answer.Body;
            output.Result(JsonNode.Parse(receipt.GetRawText()), console =>
            {
                var table = Tables.New(1, "kind", "rows", "row bytes", "blobs", "blob bytes");
                foreach (var kind in Tables.Items(receipt, "erased"))
                {
                    table.AddRow(Markup.Escape(Tables.Text(kind, "kind")), Tables.Count(kind, "rows"), Tables.Bytes(kind, "rowBytes"), Tables.Count(kind, "blobs"), Tables.Bytes(kind, "blobBytes"));
                }

                var totals = receipt.GetProperty("totals");
                table.AddRow("[bold]total[/]", Tables.Count(totals, "rows"), Tables.Bytes(totals, "rowBytes"), Tables.Count(totals, "blobs"), Tables.Bytes(totals, "blobBytes"));
                table.Caption(Markup.Escape($"erasure receipt {Tables.Text(receipt, "id")}: started {Tables.Text(receipt, "startedAt")}, ended {Tables.Text(receipt, "endedAt")}"));
                console.Write(table);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Moves the bar to the job's phase (rows, blobs, indexes, verify, done).</summary>
    private static void Show(ProgressTask? task, JsonElement job)
    {
        if (task is null)
        {
            return;
        }

        var phase = Tables.Text(job, "phase");
        task.Description = $"erasing: {phase}";
        task.Value = phase switch { "rows" => 0.5, "blobs" => 1.5, "indexes" => 2.5, "verify" => 3.5, "done" => 4, _ => task.Value };
    }
}
