using Microsoft.Extensions.DependencyInjection.Extensions;
using Serverless.Functions.Hosting;

namespace Serverless.Functions.Timers;

/// <summary>Registers timer jobs, the standalone scheduler and the host's invocation endpoints.</summary>
public static class TimerSetup
{
    /// <summary>
    /// Adds the timer machinery: <see cref="TimerRegistry"/>, <see cref="TimerOptions"/> (section
    /// <c>Timers</c>, validated at startup) and the standalone scheduler, which does nothing under the
    /// Functions host or with <c>Timers:Standalone=false</c>. Registers no job: add those with
    /// <see cref="AddTimerJob{TJob}"/>, unconditionally, so that the generated <c>function.json</c> files
    /// never depend on the configuration they were generated under.
    /// </summary>
    public static IServiceCollection AddTimerJobs(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(TimerRegistry)))
        {
            return services;
        }

        services.AddOptions<TimerOptions>()
            .BindConfiguration(TimerOptions.Section)
            .Validate(
                o => o.LockLease >= TimeSpan.FromSeconds(15) && o.LockLease <= TimeSpan.FromSeconds(60) && o.LockLease.Ticks % TimeSpan.TicksPerSecond == 0,
                "Timers:LockLease must be 15 to 60 whole seconds (e.g. 00:00:30).")
            .Validate(o => o.LateAfter >= TimeSpan.Zero, "Timers:LateAfter must not be negative.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new TimerRegistry(
            provider.GetServices<TimerJobRegistration>(),
            provider.GetRequiredService<IConfiguration>(),
            provider.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TimerJobRunner>();
        services.AddSingleton<TimerTickStore>();
        services.AddHostedService<TimerScheduler>();
        return services;
    }

    /// <summary>
    /// Registers job <typeparamref name="TJob"/> as function <paramref name="name"/> on
    /// <paramref name="schedule"/>. <typeparamref name="TJob"/> is added as a scoped service unless
    /// already registered, and is resolved from a new scope per invocation.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The function name: a letter, then letters, digits, <c>_</c> or <c>-</c>, at most 128 characters; unique, ignoring case.</param>
    /// <param name="schedule">
    /// NCRONTAB in UTC: 6 fields (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>) or 5 (seconds = 0).
    /// The whole expression or any part may be an app setting, <c>%Setting%</c>, resolved from configuration at
    /// startup (and by the host from its app settings); a missing setting or an invalid expression stops startup.
    /// </param>
    /// <exception cref="ArgumentException">The name is not a valid function name, or the schedule is empty.</exception>
    public static IServiceCollection AddTimerJob<TJob>(this IServiceCollection services, string name, string schedule)
        where TJob : class, ITimerJob
    {
        TimerFunctionName.Check(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(schedule);
        services.AddTimerJobs();
        services.TryAddScoped<TJob>();
        services.AddSingleton(new TimerJobRegistration(name, schedule, typeof(TJob)));
        return services;
    }

    /// <summary>
    /// Maps <c>POST /{Name}</c> for every job, where the Functions host delivers timer invocations.
    /// Anonymous (the host checks keys before invoking, and calls on loopback), outside OpenAPI, and
    /// marked <see cref="HostProtocolEndpoint"/>. Resolves <see cref="TimerRegistry"/>, so a misconfigured
    /// job stops startup here.
    /// </summary>
    /// <exception cref="InvalidOperationException">A job is misconfigured, or <see cref="AddTimerJobs"/> was not called.</exception>
    public static WebApplication MapTimerInvocations(this WebApplication app)
    {
        var registry = app.Services.GetService<TimerRegistry>()
            ?? throw new InvalidOperationException("Timers are not registered: call services.AddTimerJobs() before mapping timer invocations.");
        foreach (var job in registry.Jobs)
        {
            // Typed as Func, not RequestDelegate, so that the returned IResult is written.
            Func<HttpContext, Task<IResult>> handler = context => TimerInvocationEndpoint.HandleAsync(context, job);
            app.MapPost("/" + job.Name, handler)
                .AllowAnonymous()
                .ExcludeFromDescription()
                .WithMetadata(HostProtocolEndpoint.Instance);
        }

        return app;
    }
}
