using Microsoft.AspNetCore.HttpOverrides;

namespace Serverless.Functions.Hosting;

/// <summary>
/// What running as an Azure Functions custom handler asks of the server: listen where the host
/// says, answer its readiness probe, and trust the forwarding headers its proxy adds.
/// </summary>
public static class CustomHandlerHosting
{
    /// <summary>The variable through which the host passes the port to listen on.</summary>
    public const string PortVariable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The older name of <see cref="PortVariable"/>, still set by the host.</summary>
    public const string LegacyPortVariable = "FUNCTIONS_HTTPWORKER_PORT";

    /// <summary>Listens on <c>127.0.0.1:$FUNCTIONS_CUSTOMHANDLER_PORT</c> when the host set it (the host always calls 127.0.0.1).</summary>
    public static WebApplicationBuilder UseCustomHandlerPort(this WebApplicationBuilder builder)
    {
        var port = Environment.GetEnvironmentVariable(PortVariable) ?? Environment.GetEnvironmentVariable(LegacyPortVariable);
        if (!string.IsNullOrEmpty(port))
        {
            if (!int.TryParse(port, out var number) || number is < 1 or > 65535)
            {
                throw new InvalidOperationException($"{PortVariable} is '{port}', not a TCP port.");
            }

            builder.WebHost.UseUrls($"http://127.0.0.1:{number}");
        }

        return builder;
    }

    /// <summary>
    /// Applies <c>X-Forwarded-For/-Proto/-Host</c> from the host's proxy (YARP adds them and drops the
    /// original Host). Only loopback peers are trusted, which is where the host calls from.
    /// </summary>
    public static WebApplication UseHostForwardedHeaders(this WebApplication app)
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto | ForwardedHeaders.XForwardedHost,
        };
        app.UseForwardedHeaders(options);
        return app;
    }

    /// <summary>
    /// Answers the host's readiness probe: it polls <c>/</c> until anything answers. Anonymous, cheap,
    /// and independent of storage so that a slow storage start cannot make the host restart us.
    /// </summary>
    public static WebApplication MapReadinessProbe(this WebApplication app)
    {
        app.MapGet("/", () => TypedResults.Text("ready"))
            .AllowAnonymous()
            .ExcludeFromDescription()
            .WithMetadata(HostProtocolEndpoint.Instance);
        return app;
    }
}
