namespace Serverless.Functions.Timers;

/// <summary>
/// Runs one firing of a job the same way for both callers (the timer function, the local
/// scheduler): a fresh DI scope, the job resolved from it, start (past due or not), end and failure
/// logged once here. Exceptions are rethrown for the caller: the host records a failed run, the
/// local scheduler logs and goes on.
/// </summary>
public sealed partial class TimerJobRunner(IServiceScopeFactory scopes, TimeProvider time, ILogger<TimerJobRunner> logger)
{
    /// <summary>Runs <paramref name="jobType"/> for <paramref name="invocation"/>.</summary>
    public async Task RunAsync(Type jobType, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (invocation.IsPastDue)
        {
            // Jobs process everything due, so a late run catches up by itself; say so for whoever reads the logs.
            LogPastDue(logger, invocation.FunctionName, invocation.FiredAt);
        }

        LogStarting(logger, invocation.FunctionName, invocation.IsPastDue, invocation.NextOccurrence);
        var started = time.GetTimestamp();
        try
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var job = (ITimerJob)scope.ServiceProvider.GetRequiredService(jobType);
                await job.RunAsync(invocation, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var cancelledAfter = time.GetElapsedTime(started);
            LogCancelled(logger, invocation.FunctionName, cancelledAfter.TotalMilliseconds);
            throw;
        }
        catch (Exception e)
        {
            var failedAfter = time.GetElapsedTime(started);
            LogFailed(logger, e, invocation.FunctionName, failedAfter.TotalMilliseconds);
            throw;
        }

        var took = time.GetElapsedTime(started);
        LogSucceeded(logger, invocation.FunctionName, took.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Timer {Job} starting (past due {IsPastDue}, next {NextOccurrence:o})")]
    private static partial void LogStarting(ILogger logger, string job, bool isPastDue, DateTimeOffset? nextOccurrence);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Timer {Job} succeeded in {ElapsedMs:F0} ms")]
    private static partial void LogSucceeded(ILogger logger, string job, double elapsedMs);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Timer {Job} failed after {ElapsedMs:F0} ms")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job, double elapsedMs);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Timer {Job} was cancelled after {ElapsedMs:F0} ms")]
    private static partial void LogCancelled(ILogger logger, string job, double elapsedMs);

    [LoggerMessage(EventId = 304, Level = LogLevel.Warning, Message = "Timer {Job} is past due (fired {FiredAt:o}): occurrences were missed; the job catches up on what is due")]
    private static partial void LogPastDue(ILogger logger, string job, DateTimeOffset firedAt);
}
