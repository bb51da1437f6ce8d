using System.Text.Json;
using Azure;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Serverless.Storage.Tables;

namespace Serverless.Functions.Api;

/// <summary>
/// The app's one error boundary: every exception and every bodiless error status becomes
/// problem+json with a stable code. Client mistakes get 4xx; only our own faults are 500, and
/// those reveal nothing but a trace id.
/// </summary>
public static partial class ProblemMapping
{
    /// <summary>Registers problem details with our <c>code</c> extension and the exception handler.</summary>
    public static IServiceCollection AddProblemMapping(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Extensions.TryAdd("code", CodeForStatus(context.HttpContext, problem.Status ?? context.HttpContext.Response.StatusCode));
            problem.Extensions.TryAdd("traceId", context.HttpContext.TraceIdentifier);
        });
        services.AddExceptionHandler<ExceptionToProblem>();
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }

    /// <summary>Adds the exception handler and status-code pages to the pipeline.</summary>
    public static IApplicationBuilder UseProblemMapping(this IApplicationBuilder app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        return app;
    }

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

    /// <summary>Maps exceptions to problems; everything unrecognised is a 500 without details.</summary>
    private sealed partial class ExceptionToProblem(IProblemDetailsService problems, ILogger<ExceptionToProblem> logger) : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
        {
            var (status, code, title, detail) = Classify(exception);
            if (status >= 500)
            {
                LogServerFault(logger, exception, context.Request.Method, context.Request.Path);
            }

            if (IsStorageUnavailable(exception))
            {
                context.Response.Headers.RetryAfter = "2";
            }

            context.Response.StatusCode = status;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                Exception = exception,
                ProblemDetails = Problems.Create(status, code, title, detail),
            });
        }

        private static (int Status, string Code, string Title, string? Detail) Classify(Exception exception) => exception switch
        {
            BadHttpRequestException { StatusCode: 413 } => (413, ProblemCodes.PayloadTooLarge, "The request body is too large.", exception.Message),
            BadHttpRequestException { StatusCode: 415 } => (415, ProblemCodes.UnsupportedMediaType, "The body must be application/json.", null),
            BadHttpRequestException { InnerException: JsonException json } => (400, ProblemCodes.MalformedJson, "The body is not valid JSON of the expected shape.", JsonDetail(json)),
            BadHttpRequestException bad => (bad.StatusCode, bad.StatusCode == 400 ? ProblemCodes.ValidationFailed : ProblemCodes.InternalError, "The request is invalid.", bad.Message),
            KeyTooLongException => (400, ProblemCodes.ValidationFailed, "An identifier is too long.", exception.Message),
            _ when IsStorageUnavailable(exception) => (503, ProblemCodes.StorageUnavailable, "Storage is busy or unreachable; retry shortly.", null),
            RequestFailedException { Status: 412 } => (412, ProblemCodes.PreconditionFailed, "The resource has changed.", "If-Match does not name the current version."),
            RequestFailedException { Status: 409 } => (409, ProblemCodes.Conflict, "Conflict.", "The resource already exists or was changed concurrently."),
            RequestFailedException { Status: 404 } => (404, ProblemCodes.NotFound, "Not found.", null),
            RequestFailedException { Status: 400 or 413, ErrorCode: "EntityTooLarge" or "PropertyValueTooLarge" or "RequestBodyTooLarge" or "KeyValueTooLarge" } =>
                (413, ProblemCodes.PayloadTooLarge, "The content is too large to store.", null),
            _ => (500, ProblemCodes.InternalError, "An unexpected error occurred.", null),
        };

        /// <summary>
        /// Storage that did not answer (status 0: no try got a response), throttles (429, 503 ServerBusy) or timed
        /// out on its side (500 OperationTimedOut): the client may retry shortly.
        /// </summary>
        private static bool IsStorageUnavailable(Exception exception) =>
            exception is RequestFailedException { Status: 0 or 429 or 503 } or RequestFailedException { Status: 500, ErrorCode: "OperationTimedOut" };

        /// <summary>The JSON reader's position helps a client find its mistake; its message names no server internals.</summary>
        private static string JsonDetail(JsonException json) =>
            json.Path is { } path ? $"Invalid JSON at {path} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})." : "Invalid JSON.";

        [LoggerMessage(EventId = 1, Level = LogLevel.Error, Message = "Unhandled fault on {Method} {Path}")]
        private static partial void LogServerFault(ILogger logger, Exception exception, string method, string path);
    }
}
