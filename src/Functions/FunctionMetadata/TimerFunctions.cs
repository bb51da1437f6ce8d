using Serverless.Functions.Timers;

namespace Serverless.Functions.FunctionMetadata;

/// <summary>The timer functions: one per job in the app's <see cref="TimerRegistry"/>.</summary>
public static class TimerFunctions
{
    /// <summary>
    /// The functions of the registered timer jobs, each named as its job and carrying its schedule as
    /// written: the host expands <c>%Setting%</c> references from its own app settings.
    /// </summary>
    public static IReadOnlyList<FunctionDescription> From(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);

        // An app that registers no timer jobs may not register the registry at all.
        var registry = services.GetService<TimerRegistry>();
        return registry is null ? [] : From(registry);
    }

    /// <summary>The functions of <paramref name="registry"/>'s jobs.</summary>
    public static IReadOnlyList<FunctionDescription> From(TimerRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return registry.Jobs
            .Select(job => new FunctionDescription(
                job.Name,
                [FunctionBinding.TimerTrigger(job.BindingName, job.ScheduleExpression)],
                $"timer job {job.Name} ({job.JobType.Name})"))
            .ToList();
    }
}
