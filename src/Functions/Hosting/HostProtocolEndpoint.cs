namespace Serverless.Functions.Hosting;

/// <summary>
/// Endpoint metadata marking a route that belongs to the Functions host protocol (the readiness
/// probe, timer invocations) rather than to the public API, so no HTTP function is generated for it.
/// </summary>
public sealed class HostProtocolEndpoint
{
    /// <summary>The shared instance.</summary>
    public static HostProtocolEndpoint Instance { get; } = new();
}
