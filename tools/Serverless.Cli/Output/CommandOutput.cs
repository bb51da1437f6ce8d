using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Serverless.Cli.Output;

/// <summary>
/// How one run reports: with <c>--json</c> one JSON document on stdout (the result, or <c>{"error": …}</c>) and no
/// progress; otherwise tables and progress bars on the console and errors on stderr.
/// </summary>
public sealed class CommandOutput(CliContext context, bool json)
{
    /// <summary>Indented camelCase, as the API writes.</summary>
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Whether <c>--json</c> was given.</summary>
    public bool Json { get; } = json;

    /// <summary>The console for human output.</summary>
    public IAnsiConsole Console => context.Console;

    /// <summary>Writes the run's result: <paramref name="document"/> with <c>--json</c>, else what <paramref name="human"/> renders.</summary>
    public void Result(JsonNode? document, Action<IAnsiConsole> human)
    {
        ArgumentNullException.ThrowIfNull(human);
        if (Json)
        {
            context.JsonOut.WriteLine(document?.ToJsonString(JsonOptions) ?? "null");
        }
        else
        {
            human(context.Console);
        }
    }

    /// <summary>Writes a failure: <c>{"error": {exitCode, code, message}}</c> with <c>--json</c>, else the message on stderr.</summary>
    public void Failure(int exitCode, string code, string message)
    {
        if (Json)
        {
            var error = new JsonObject { ["error"] = new JsonObject { ["exitCode"] = exitCode, ["code"] = code, ["message"] = message } };
            context.JsonOut.WriteLine(error.ToJsonString(JsonOptions));
        }
        else
        {
            context.Error.WriteLine($"error ({code}): {message}");
        }
    }

    /// <summary>A line of human output (nothing with <c>--json</c>).</summary>
    public void Note(string markup)
    {
        if (!Json)
        {
            context.Console.MarkupLine(markup);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a progress display (none with <c>--json</c>: scripts read the result only).
    /// </summary>
    public async Task<T> WithProgressAsync<T>(Func<ProgressContext?, Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Json)
        {
            return await work(null);
        }

        return await context.Console.Progress()
            .AutoClear(false)
            .HideCompleted(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .StartAsync(async progress => await work(progress));
    }
}
