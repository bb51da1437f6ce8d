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
    /// <returns>
    /// Status, code, title, a detail safe to show (null for our own faults; never a framework's message) and the
    /// failing fields of a validation problem.
    /// </returns>
    public static (int Status, string Code, string Title, string? Detail, IDictionary<string, string[]>? Errors) Classify(Exception exception) => exception switch
    {
        RequestBodyException body => (body.Status, body.Code, body.Title, body.Detail, body.Errors),
        BadHttpRequestException { StatusCode: 413 } => (413, ProblemCodes.PayloadTooLarge, "The request body is too large.", "The request body is larger than this operation accepts.", null),
        BadHttpRequestException { StatusCode: 408 } => (408, ProblemCodes.RequestTimeout, "The request body came too slowly.", "Send the body at a steady rate; the server stopped waiting for it.", null),
        BadHttpRequestException { StatusCode: >= 400 and < 500 } bad => (bad.StatusCode, CodeForStatus(null, bad.StatusCode), "The request is invalid.", "The request could not be read.", null),
        KeyTooLongException => (400, ProblemCodes.ValidationFailed, "An identifier is too long.", exception.Message, null),
        LegalHoldException => (409, ProblemCodes.LegalHold, "Your data is under a legal hold.", "It cannot be erased until the hold is released; ask the operator.", null),
        ErasureInProgressException => (409, ProblemCodes.ErasureInProgress, "Your data is being erased.", "Nothing can be written or computed until the erasure ends; follow it at /api/v1/me/erasure.", null),
        _ when IsTransient(exception) => (503, ProblemCodes.StorageUnavailable, "Storage is busy or unreachable; retry shortly.", null, null),
        RequestFailedException { Status: 412 } => (412, ProblemCodes.PreconditionFailed, "The resource has changed.", Problems.IfMatchFailedDetail, null),
        RequestFailedException { Status: 409 } => (409, ProblemCodes.Conflict, "Conflict.", "The resource already exists or was changed concurrently.", null),
        RequestFailedException { Status: 404 } => (404, ProblemCodes.NotFound, "Not found.", null, null),
        RequestFailedException { Status: 400 or 413, ErrorCode: "EntityTooLarge" or "PropertyValueTooLarge" or "RequestBodyTooLarge" or "KeyValueTooLarge" } =>
            (413, ProblemCodes.PayloadTooLarge, "The content is too large to store.", null, null),
        _ => (500, ProblemCodes.InternalError, "An unexpected error occurred.", null, null),
    };

    /// <summary>
    /// Whether a client should retry after a pause: storage did not answer (status 0: no try got a response),
    /// throttled (429, 503 ServerBusy) or timed out on its side (500 OperationTimedOut).
    /// </summary>
    public static bool IsTransient(Exception exception) =>
        exception is RequestFailedException { Status: 0 or 429 or 503 } or RequestFailedException { Status: 500, ErrorCode: "OperationTimedOut" };

    /// <summary>The code of a status, for problems written without one (the server's own 404/405, status code pages).</summary>
    private static string CodeForStatus(HttpContext? context, int status) => status switch
    {
        400 => ProblemCodes.ValidationFailed,
        401 => ProblemCodes.Unauthorized,
        403 => ProblemCodes.Forbidden,
        404 when context?.GetEndpoint() is null => ProblemCodes.RouteNotFound,
        404 => ProblemCodes.NotFound,
        405 => ProblemCodes.MethodNotAllowed,
        408 => ProblemCodes.RequestTimeout,
        409 => ProblemCodes.Conflict,
        412 => ProblemCodes.PreconditionFailed,
        413 => ProblemCodes.PayloadTooLarge,
        415 => ProblemCodes.UnsupportedMediaType,
        429 => ProblemCodes.RateLimited,
        503 => ProblemCodes.StorageUnavailable,
        >= 400 and < 500 => ProblemCodes.ValidationFailed,
        _ => ProblemCodes.InternalError,
    };
}
