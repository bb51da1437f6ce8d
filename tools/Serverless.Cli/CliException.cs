namespace Serverless.Cli;

/// <summary>A failure the tool reports as a message and an exit code (no stack trace).</summary>
/// <param name="exitCode">One of <see cref="ExitCodes"/>.</param>
/// <param name="code">A stable machine code (the server's problem code, or the tool's own).</param>
/// <param name="message">What went wrong, for the user.</param>
public class CliException(int exitCode, string code, string message) : Exception(message)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>A stable machine code.</summary>
    public string Code { get; } = code;
}
