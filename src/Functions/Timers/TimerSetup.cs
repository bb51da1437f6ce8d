using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Serverless.Functions.Timers;

/// <summary>Registers timer jobs: what both hosts need to run them (the local server adds <see cref="LocalTimerScheduler"/>).</summary>
public static class TimerSetup
{
    /// <summary>
    /// Registers job <typeparamref name="TJob"/> as timer function <paramref name="name"/> on
    /// <paramref name="schedule"/> (scoped, resolved from a new scope per run), with
    /// <see cref="TimerJobRunner"/> and <see cref="TimerRegistry"/>. The function itself is a
    /// <c>[Function(name)]</c> with <c>[TimerTrigger(schedule)]</c>: pass the same constants to both.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The timer function's name; unique, ignoring case.</param>
    /// <param name="schedule">
    /// NCRONTAB in UTC, 6 fields (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>) or 5 (seconds = 0);
    /// the whole expression or any part may be an app setting, <c>%Setting%</c>, as the host resolves it.
    /// </param>
    public static IServiceCollection AddTimerJob<TJob>(this IServiceCollection services, string name, string schedule)
        where TJob : class, ITimerJob
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(schedule);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TimerJobRunner>();
        services.TryAddSingleton(provider => new TimerRegistry(
            provider.GetServices<TimerJobRegistration>(),
            provider.GetRequiredService<IConfiguration>(),
            provider.GetRequiredService<TimeProvider>()));
        services.TryAddScoped<TJob>();
        services.AddSingleton(new TimerJobRegistration(name, schedule, typeof(TJob)));
        return services;
    }
}
