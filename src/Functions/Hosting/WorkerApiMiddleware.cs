using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;
using Serverless.Functions.Api;

namespace Serverless.Functions.Hosting;

/// <summary>
/// The worker's plug for <see cref="ApiPipeline"/>, run for HTTP-triggered functions only (see
/// <see cref="WorkerApp"/>): the operation is the function's name, the request is the ASP.NET Core
/// <see cref="HttpContext"/> the worker's HTTP integration hands the function.
/// </summary>
/// <remarks>
/// The worker's own proxying middleware, outside this one, executes the <see cref="IResult"/> a
/// function returns after this middleware has finished; faults thrown while a result writes its
/// body (a stream that fails before its first byte) are therefore the host's 500 here, while the
/// local server answers them as problems. Operations do their storage reads before returning.
/// </remarks>
public sealed class WorkerApiMiddleware(ApiPipeline pipeline) : IFunctionsWorkerMiddleware
{
    /// <summary>The binding type of HTTP triggers in function metadata.</summary>
    public const string HttpTriggerType = "httpTrigger";

    /// <summary>Whether <paramref name="context"/> is an HTTP-triggered invocation.</summary>
    public static bool IsHttpTrigger(FunctionContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.FunctionDefinition.InputBindings.Values.Any(b => string.Equals(b.Type, HttpTriggerType, StringComparison.OrdinalIgnoreCase));
    }

    /// <inheritdoc />
    public Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.GetHttpContext()
            ?? throw new InvalidOperationException($"Function {context.FunctionDefinition.Name} has no HttpContext: configure the worker with ConfigureFunctionsWebApplication.");
        return pipeline.InvokeAsync(http, context.FunctionDefinition.Name, () => next(context));
    }
}
