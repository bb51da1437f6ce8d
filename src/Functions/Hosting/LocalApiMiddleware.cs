using Serverless.Functions.Api;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The local server's plug for <see cref="ApiPipeline"/>: the operation is the matched endpoint's
/// name (the function name), and CORS preflights are answered here, since no platform stands in
/// front of this server.
/// </summary>
public sealed class LocalApiMiddleware(RequestDelegate next, ApiPipeline pipeline, ApiCors cors)
{
    /// <summary>Handles one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (cors.TryAnswerPreflight(context))
        {
            return Task.CompletedTask;
        }

        var operation = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
        return pipeline.InvokeAsync(context, operation, () => next(context));
    }
}
