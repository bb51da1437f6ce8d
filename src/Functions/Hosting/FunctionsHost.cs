namespace Serverless.Functions.Hosting;

/// <summary>Whether a Functions host started this process.</summary>
public static class FunctionsHost
{
    /// <summary>Where the host tells its worker to connect (environment <c>Functions__Worker__HostEndpoint</c>).</summary>
    public const string HostEndpointSetting = "Functions:Worker:HostEndpoint";

    /// <summary>The command-line form of <see cref="HostEndpointSetting"/> (the worker maps it the same way).</summary>
    public const string HostEndpointArgument = "--functions-uri";

    /// <summary>
    /// True when the Functions host started us: it always passes its endpoint, as configuration or
    /// <c>--functions-uri</c>, and nothing else does. (Older hosts' <c>--host</c>/<c>--port</c> are not
    /// read by worker 2.x either.) Otherwise the local server runs, which also keeps
    /// <c>WebApplicationFactory&lt;Program&gt;</c> working.
    /// </summary>
    public static bool StartedUs(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        return !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable(HostEndpointSetting.Replace(":", "__", StringComparison.Ordinal)))
            || args.Any(a => a == HostEndpointArgument || a.StartsWith(HostEndpointArgument + "=", StringComparison.Ordinal));
    }
}
