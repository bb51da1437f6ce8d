using System.Text.Json;
using Serverless.Functions.Api;

namespace Serverless.Functions.Timers;

/// <summary>
/// <c>POST /{FunctionName}</c> from the Functions host: parse the payload once, run the job, answer
/// <c>{Outputs, Logs, ReturnValue}</c>. Any non-2xx reply fails the run on the host's side, which does
/// not retry timer runs.
/// </summary>
internal static class TimerInvocationEndpoint
{
    /// <summary>The header the host puts its invocation id in.</summary>
    public const string InvocationIdHeader = "X-Azure-Functions-InvocationId";

    public static async Task<IResult> HandleAsync(HttpContext context, ScheduledTimerJob job)
    {
        var services = context.RequestServices;
        var time = services.GetRequiredService<TimeProvider>();
        var receivedAt = time.GetUtcNow();

        TimerHostRequest? request;
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        try
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted).ConfigureAwait(false);
            request = TimerHostRequest.Parse(document.RootElement, errors);
        }
        catch (JsonException e)
        {
            return Problems.Result(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, "The body is not valid JSON.", $"Invalid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).");
        }

        if (request is null)
        {
            return Problems.Validation(errors);
        }

        var firedAt = request.System.UtcNow ?? receivedAt;
        var log = new TimerInvocationLog(services.GetRequiredService<ILoggerFactory>().CreateLogger(job.JobType));
        var invocation = new TimerInvocation
        {
            FunctionName = job.Name,
            InvocationId = context.Request.Headers[InvocationIdHeader].FirstOrDefault() is { Length: > 0 } id ? id : Guid.NewGuid().ToString(),
            ScheduledTime = job.LatestOccurrenceAtOrBefore(firedAt) ?? firedAt,
            FiredAt = firedAt,
            IsPastDue = request.Timer.IsPastDue,
            ScheduleStatus = request.Timer.ScheduleStatus,
            AdjustForDst = request.Timer.AdjustForDst,
            Source = TimerInvocationSource.Host,
            Logger = log,
        };

        try
        {
            await services.GetRequiredService<TimerJobRunner>().RunAsync(job, invocation, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The runner logged the fault. The host only looks at the status; say no more than a trace id would.
            return Problems.Result(
                StatusCodes.Status500InternalServerError,
                ProblemCodes.InternalError,
                "The timer job failed.",
                $"Timer function '{job.Name}' failed (invocation {invocation.InvocationId}); see the app's logs.");
        }

        return TypedResults.Json(TimerHostReply.Success(log.Lines));
    }
}
