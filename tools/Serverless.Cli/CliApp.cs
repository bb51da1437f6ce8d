using System.CommandLine;
using Serverless.Cli.Api;
using Serverless.Cli.Commands;
using Serverless.Cli.Configuration;
using Serverless.Cli.Output;

namespace Serverless.Cli;

/// <summary>The command tree of <c>assistant-backend</c> and the one place failures become exit codes.</summary>
public static class CliApp
{
    /// <summary><c>--json</c>: one JSON document on stdout instead of tables and progress bars.</summary>
    internal static readonly Option<bool> JsonOption = new("--json") { Description = "Print one JSON document (the result, or {\"error\": …}) instead of tables; no progress bars.", Recursive = true };

    /// <summary><c>--config</c>: another config file.</summary>
    internal static readonly Option<string?> ConfigOption = new("--config") { Description = $"The config file (default: $XDG_CONFIG_HOME/assistant-backend/config.json, or ${ConfigFile.PathVariable}).", Recursive = true };

    /// <summary>Parses <paramref name="args"/>, runs the command and returns its exit code.</summary>
    public static async Task<int> RunAsync(string[] args, CliContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var root = new RootCommand("The command-line tool of the serverless persistence backend for AI assistant apps.")
        {
            JsonOption,
            ConfigOption,
        };
        foreach (var command in new ICliCommand[] { new LoginCommand(), new UsageCommand(), new IntegrityCommand(), new EraseCommand(), new ExportCommand(), new ImportCommand() })
        {
            root.Subcommands.Add(command.Build(context));
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            var output = new CommandOutput(context, parsed.GetValue(JsonOption));
            output.Failure(ExitCodes.Usage, "usage", string.Join(" ", parsed.Errors.Select(e => e.Message)) + " (see --help)");
            return ExitCodes.Usage;
        }

        return await parsed.InvokeAsync(new InvocationConfiguration { Output = context.Console.Profile.Out.Writer, Error = context.Error }, cancellationToken);
    }

    /// <summary>Runs a command's work and turns what it throws into a message and an exit code.</summary>
    internal static async Task<int> GuardAsync(ParseResult parsed, CliContext context, Func<CommandOutput, Task<int>> work)
    {
        var output = new CommandOutput(context, parsed.GetValue(JsonOption));
        try
        {
            return await work(output);
        }
        catch (CliException e)
        {
            output.Failure(e.ExitCode, e.Code, e.Message);
            return e.ExitCode;
        }
        catch (OperationCanceledException)
        {
            output.Failure(ExitCodes.Aborted, "cancelled", "Interrupted.");
            return ExitCodes.Aborted;
        }
    }

    /// <summary>The config file this run uses.</summary>
    internal static ConfigFile Config(ParseResult parsed, CliContext context) => ConfigFile.Resolve(parsed.GetValue(ConfigOption), context.Environment);

    /// <summary>A client for the logged-in server.</summary>
    internal static ApiClient Client(ParseResult parsed, CliContext context)
    {
        var config = Config(parsed, context).Require(context.Environment);
        return new ApiClient(config.BaseUrl, config.Token, context.Handler);
    }
}

/// <summary>One subcommand.</summary>
internal interface ICliCommand
{
    /// <summary>Builds the command, its options and its action.</summary>
    Command Build(CliContext context);
}
