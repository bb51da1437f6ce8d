namespace Serverless.Cli;

/// <summary>The entry point of <c>assistant-backend</c>.</summary>
public static class CliProgram
{
    /// <summary>Runs the command line and returns its exit code (<see cref="ExitCodes"/>).</summary>
    public static Task<int> Main(string[] args) => CliApp.RunAsync(args, CliContext.ForProcess());
}
