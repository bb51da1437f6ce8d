namespace Serverless.Functions.Timers;

/// <summary>
/// Every registered timer job with its schedule resolved, for the local scheduler (under the
/// Functions host, the host schedules the <c>[TimerTrigger]</c> functions itself; a test checks that
/// both name the same jobs and schedules). A singleton; building it fails with a message per problem
/// (duplicate, missing setting, invalid or never-firing schedule).
/// </summary>
public sealed class TimerRegistry
{
    internal TimerRegistry(IEnumerable<TimerJobRegistration> registrations, IConfiguration configuration, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var jobs = new List<ScheduledTimerJob>();
        var errors = new List<string>();
        var byName = new Dictionary<string, ScheduledTimerJob>(StringComparer.OrdinalIgnoreCase);
        foreach (var registration in registrations)
        {
            try
            {
                var (resolved, schedule) = TimerScheduleExpression.Parse(registration.Name, registration.ScheduleExpression, configuration, now);
                var job = new ScheduledTimerJob(registration.Name, registration.ScheduleExpression, resolved, schedule, registration.JobType);

                // Function names are case-insensitive to the host.
                if (!byName.TryAdd(job.Name, job))
                {
                    throw new InvalidOperationException($"Timer job '{job.Name}' is registered twice (names are case-insensitive).");
                }

                jobs.Add(job);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException)
            {
                errors.Add(e.Message);
            }
        }

        if (errors.Count > 0)
        {
            throw new InvalidOperationException("Timer jobs are misconfigured:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
        }

        Jobs = jobs;
    }

    /// <summary>The jobs, in registration order.</summary>
    public IReadOnlyList<ScheduledTimerJob> Jobs { get; }
}
