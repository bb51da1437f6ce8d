using Spectre.Console;

namespace Serverless.Cli;

/// <summary>
/// What a run of the tool reads and writes: the consoles, the environment, and how it reaches the server. The
/// program passes the process's own; tests pass writers they read back.
/// </summary>
public sealed class CliContext
{
    /// <summary>Human output: tables, progress bars, messages (stdout).</summary>
    public required IAnsiConsole Console { get; init; }

    /// <summary>Machine output with <c>--json</c>: exactly one JSON document per run (stdout).</summary>
    public required TextWriter JsonOut { get; init; }

    /// <summary>Errors in human mode (stderr).</summary>
    public required TextWriter Error { get; init; }

    /// <summary>Where a confirmation is read from (stdin).</summary>
    public required TextReader Input { get; init; }

    /// <summary>Whether <see cref="Input"/> is a terminal a person can answer at.</summary>
    public required bool InputIsInteractive { get; init; }

    /// <summary>Environment variables.</summary>
    public required Func<string, string?> Environment { get; init; }

    /// <summary>The HTTP handler to reach the server with, or null for the default.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>The process's own consoles and environment.</summary>
    public static CliContext ForProcess() => new()
    {
        Console = AnsiConsole.Console,
        JsonOut = System.Console.Out,
        Error = System.Console.Error,
        Input = System.Console.In,
        InputIsInteractive = !System.Console.IsInputRedirected,
        Environment = System.Environment.GetEnvironmentVariable,
    };
}
