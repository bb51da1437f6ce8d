namespace Serverless.Cli;

/// <summary>
/// The exit codes scripts can rely on (README, "Command-line tool"). Each failure class has its own code, so a script
/// can tell "log in again" from "fix the input" from "try later".
/// </summary>
public static class ExitCodes
{
    /// <summary>Done.</summary>
    public const int Ok = 0;

    /// <summary>An unexpected failure of the tool itself (a bug): the message says what.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong (unknown command or option, missing argument, bad value).</summary>
    public const int Usage = 2;

    /// <summary>Not logged in, or the server refused the token (401/403).</summary>
    public const int Auth = 3;

    /// <summary>The server has no such resource (404).</summary>
    public const int NotFound = 4;

    /// <summary>The server refused because of the resource's state (409, 412), e.g. an erasure in progress.</summary>
    public const int Conflict = 5;

    /// <summary>The server refused the request's content (400, 413, 415, 422), e.g. an invalid bundle.</summary>
    public const int Validation = 6;

    /// <summary>A local input file the tool does not understand (an app's data in an unknown shape, a file missing).</summary>
    public const int InputFormat = 7;

    /// <summary>The server failed or could not be reached (5xx, 429 after retries, connection refused, timeout).</summary>
    public const int Server = 8;

    /// <summary>The user declined a confirmation (erase without <c>--yes</c>), or interrupted the tool.</summary>
    public const int Aborted = 9;

    /// <summary>Finished, but the server reports problems: an import with failed resources, an integrity check with problems left.</summary>
    public const int Incomplete = 10;
}
