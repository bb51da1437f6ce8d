namespace Serverless.Functions.Timers;

/// <summary>
/// Runs one invocation of a job the same way for both callers (host endpoint and scheduler): a fresh
/// DI scope, the job resolved from it, start/end/failure logged once here. Exceptions are rethrown for
/// the caller to turn into its own outcome (a 500 for the host, a logged tick for the scheduler).
/// </summary>
internal sealed partial class TimerJobRunner(IServiceScopeFactory scopes, TimeProvider time, ILogger<TimerJobRunner> logger)
{
    public async Task RunAsync(ScheduledTimerJob job, TimerInvocation invocation, CancellationToken cancellationToken)
    {
        LogStarting(logger, job.Name, invocation.Source, invocation.ScheduledTime, invocation.IsPastDue, invocation.InvocationId);
        var started = time.GetTimestamp();
        try
        {
            var scope = scopes.CreateAsyncScope();
            await using (scope.ConfigureAwait(false))
            {
                var instance = (ITimerJob)scope.ServiceProvider.GetRequiredService(job.JobType);
                await instance.RunAsync(invocation, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            var elapsed = time.GetElapsedTime(started);
            LogCancelled(logger, job.Name, invocation.InvocationId, elapsed.TotalMilliseconds);
            throw;
        }
        catch (Exception e)
        {
            var elapsed = time.GetElapsedTime(started);
            LogFailed(logger, e, job.Name, invocation.InvocationId, elapsed.TotalMilliseconds);
            throw;
        }

        var took = time.GetElapsedTime(started);
        LogSucceeded(logger, job.Name, invocation.InvocationId, took.TotalMilliseconds);
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Timer {Job} starting ({Source}, scheduled {ScheduledTime:o}, past due {IsPastDue}, invocation {InvocationId})")]
    private static partial void LogStarting(ILogger logger, string job, TimerInvocationSource source, DateTimeOffset scheduledTime, bool isPastDue, string invocationId);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "Timer {Job} succeeded in {ElapsedMs:F0} ms (invocation {InvocationId})")]
    private static partial void LogSucceeded(ILogger logger, string job, string invocationId, double elapsedMs);

    [LoggerMessage(EventId = 302, Level = LogLevel.Error, Message = "Timer {Job} failed after {ElapsedMs:F0} ms (invocation {InvocationId})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string job, string invocationId, double elapsedMs);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "Timer {Job} was cancelled after {ElapsedMs:F0} ms (invocation {InvocationId})")]
    private static partial void LogCancelled(ILogger logger, string job, string invocationId, double elapsedMs);
}
