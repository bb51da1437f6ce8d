using System.CommandLine;
using System.Net;
using System.Text.Json.Nodes;
using Serverless.Cli.Api;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>usage</c>: rows and bytes per kind as the server last computed them (<c>GET /api/v1/me/usage</c>);
/// <c>--refresh</c> asks for a new computation (<c>POST /api/v1/me/usage/refresh</c>). While the server computes
/// (202) the tool polls, up to <c>--wait</c> seconds.
/// </summary>
internal sealed class UsageCommand : ICliCommand
{
    public Command Build(CliContext context)
    {
        var refresh = new Option<bool>("--refresh") { Description = "Compute the usage again instead of showing the last report." };
        var wait = WaitOption.Create();
        var command = new Command("usage", "Shows your storage usage per kind of data (rows, bytes, blobs).") { refresh, wait };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async output =>
        {
            using var client = CliApp.Client(parsed, context);
            var answer = parsed.GetValue(refresh)
                ? await client.PostAsync("api/v1/me/usage/refresh", null, cancellationToken)
                : await client.GetAsync("api/v1/me/usage", cancellationToken);
            if (answer.Status == HttpStatusCode.Accepted)
            {
                output.Note("The server is computing your usage…");
                answer = await Polling.UntilAsync(client, "api/v1/me/usage", a => a.Status == HttpStatusCode.OK, WaitOption.Of(parsed, wait), null, cancellationToken);
            }

            var usage = answer.Body;
            output.Result(JsonNode.Parse(usage.GetRawText()), console =>
            {
                var table = Tables.New(1, "kind", "rows", "row bytes", "blobs", "blob bytes");
                foreach (var kind in Tables.Items(usage, "kinds"))
                {
                    table.AddRow(Markup.Escape(Tables.Text(kind, "kind")), Tables.Count(kind, "rows"), Tables.Bytes(kind, "rowBytes"), Tables.Count(kind, "blobs"), Tables.Bytes(kind, "blobBytes"));
                }

                var totals = usage.GetProperty("totals");
                table.AddRow("[bold]total[/]", Tables.Count(totals, "rows"), Tables.Bytes(totals, "rowBytes"), Tables.Count(totals, "blobs"), Tables.Bytes(totals, "blobBytes"));
                table.Caption(Markup.Escape($"computed {Tables.Text(usage, "computedAt")}" + (Tables.Text(usage, "refreshRequestedAt") is { Length: > 0 } r ? $"; a new computation was requested at {r}" : string.Empty)));
                console.Write(table);
            });
            return ExitCodes.Ok;
        }));
        return command;
    }
}

/// <summary>The <c>--wait</c> option of the commands that poll a job.</summary>
internal static class WaitOption
{
    /// <summary>Seconds to wait for a job before giving up (the server carries on).</summary>
    public static Option<int> Create(int seconds = 300) =>
        new("--wait") { Description = "Seconds to wait for the server's job before giving up (it carries on without the tool).", DefaultValueFactory = _ => seconds };

    /// <summary>The value as a time span.</summary>
    public static TimeSpan Of(ParseResult parsed, Option<int> option) => TimeSpan.FromSeconds(Math.Max(1, parsed.GetValue(option)));
}
