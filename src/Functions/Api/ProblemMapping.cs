using Azure;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;

namespace Serverless.Functions.Api;

/// <summary>
/// How faults become problem+json with a stable code: the <c>code</c> of a status (for problems
/// written without one) and the classification of exceptions. Client mistakes get 4xx; only our own
/// faults are 500, and those reveal nothing but a trace id.
/// </summary>
public static class ProblemMapping
{
    /// <summary>Registers problem details with our <c>code</c> and <c>traceId</c> extensions.</summary>
    public static IServiceCollection AddProblemMapping(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.TryAdd("code", CodeForStatus(context.HttpContext, problem.Status ?? context.HttpContext.Response.StatusCode));
            problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
        });
        return services;
    }

    /// <summary>An exception as the problem to answer.</summary>
    /// <returns>Status, code, title and a detail safe to show (null for our own faults).</returns>
    public static (int Status, string Code, string Title, string? Detail) Classify(Exception exception) => exception switch
    {
        RequestBodyException body => (body.Status, body.Code, body.Title, body.Detail),
        BadHttpRequestException { StatusCode: 413 } => (413, ProblemCodes.PayloadTooLarge, "The request body is too large.", exception.Message),
        BadHttpRequestException { StatusCode: 400 } => (400, ProblemCodes.ValidationFailed, "The request is invalid.", "The request could not be read."),
        KeyTooLongException => (400, ProblemCodes.ValidationFailed, "An identifier is too long.", exception.Message),
        LegalHoldException => (409, ProblemCodes.LegalHold, "Your data is under a legal hold.", "It cannot be erased until the hold is released; ask the operator."),
        ErasureInProgressException => (409, ProblemCodes.ErasureInProgress, "Your data is being erased.", "Nothing can be written or computed until the erasure ends; follow it at /api/v1/me/erasure."),
        _ when IsTransient(exception) => (503, ProblemCodes.StorageUnavailable, "Storage is busy or unreachable; retry shortly.", null),
        RequestFailedException { Status: 412 } => (412, ProblemCodes.PreconditionFailed, "The resource has changed.", "If-Match does not name the current version."),
        RequestFailedException { Status: 409 } => (409, ProblemCodes.Conflict, "Conflict.", "The resource already exists or was changed concurrently."),
        RequestFailedException { Status: 404 } => (404, ProblemCodes.NotFound, "Not found.", null),
        RequestFailedException { Status: 400 or 413, ErrorCode: "EntityTooLarge" or "PropertyValueTooLarge" or "RequestBodyTooLarge" or "KeyValueTooLarge" } =>
            (413, ProblemCodes.PayloadTooLarge, "The content is too large to store.", null),
        _ => (500, ProblemCodes.InternalError, "An unexpected error occurred.", null),
    };

    /// <summary>
    /// Whether a client should retry after a pause: storage did not answer (status 0: no try got a response),
    /// throttled (429, 503 ServerBusy) or timed out on its side (500 OperationTimedOut).
    /// </summary>
    public static bool IsTransient(Exception exception) =>
        exception is RequestFailedException { Status: 0 or 429 or 503 } or RequestFailedException { Status: 500, ErrorCode: "OperationTimedOut" };

    private static string CodeForStatus(HttpContext context, int status) => status switch
    {
        400 => ProblemCodes.ValidationFailed,
        401 => ProblemCodes.Unauthorized,
        403 => ProblemCodes.Forbidden,
        404 when context.GetEndpoint() is null => ProblemCodes.RouteNotFound,
        404 => ProblemCodes.NotFound,
        405 => ProblemCodes.MethodNotAllowed,
        409 => ProblemCodes.Conflict,
        412 => ProblemCodes.PreconditionFailed,
        413 => ProblemCodes.PayloadTooLarge,
        415 => ProblemCodes.UnsupportedMediaType,
        429 => ProblemCodes.RateLimited,
        503 => ProblemCodes.StorageUnavailable,
        _ => ProblemCodes.InternalError,
    };
}
