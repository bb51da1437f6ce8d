using Microsoft.Extensions.Options;
using Serverless.Functions.Identity;
using Serverless.Functions.Storage;
using Serverless.Functions.Timers;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>Registers the data lifecycle: its services over the app's storage, the <c>/me</c> gate and the three timers.</summary>
public static class LifecycleSetup
{
    /// <summary>Adds the lifecycle services (after <c>AddAppStorage</c>).</summary>
    public static IServiceCollection AddLifecycle(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<LifecycleRunOptions>().BindConfiguration(LifecycleRunOptions.Section)
            .Validate(o => o.RequestWorkBudget >= TimeSpan.Zero && o.RequestWorkBudget <= TimeSpan.FromSeconds(30), "Lifecycle:RequestWorkBudget must be 0 to 30 seconds.")
            .Validate(o => o.ReportMaxAge > TimeSpan.Zero && o.JobsRunBudget > TimeSpan.Zero, "Lifecycle:ReportMaxAge and Lifecycle:JobsRunBudget must be positive.")
            .Validate(o => o.RetentionMaxEntries >= 1 && o.OrphanSweepMaxUsers >= 1 && o.JobsPerRun is >= 1 and <= 1000 && o.BackfillPagesPerRun >= 1,
                "Lifecycle:RetentionMaxEntries, OrphanSweepMaxUsers and BackfillPagesPerRun must be positive, JobsPerRun 1 to 1000.")
            .Validate<IHostEnvironment>((o, environment) => environment.IsDevelopment() || !string.IsNullOrWhiteSpace(o.ReceiptKey),
                "Lifecycle:ReceiptKey is required outside Development (base64 of at least 32 bytes, kept for as long as erasure receipts are).")
            .ValidateOnStart();

        // The development key is derived from the development token signing key (see ReceiptKeys.Hash).
        var developmentSigningKey = configuration.GetSection(AuthOptions.Section).Get<AuthOptions>()?.Development.SigningKey;
        services.AddSingleton(p => ReceiptKeys.Hash(p.GetRequiredService<IOptions<LifecycleRunOptions>>().Value.ReceiptKey, p.GetRequiredService<IHostEnvironment>(), developmentSigningKey));
        services.AddSingleton(p =>
        {
            var tables = p.GetRequiredService<AppTables>();
            return new LifecycleStorage(tables.Users, tables.Expiry, tables.Lifecycle, tables.Due, p.GetRequiredService<AppContainers>().Payloads);
        });
        services.AddSingleton(p => new RetentionSweep(p.GetRequiredService<LifecycleStorage>(), p.GetRequiredService<ExpiryIndex>()));
        services.AddSingleton(p => new OrphanSweep(p.GetRequiredService<LifecycleStorage>(), p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new LegalHolds(p.GetRequiredService<AppTables>().Users, p.GetRequiredService<TimeProvider>()));
        services.AddSingleton(p => new LifecycleJobs(
            p.GetRequiredService<LifecycleStorage>(),
            p.GetRequiredService<ExpiryIndex>(),
            p.GetRequiredService<UserKeyHash>(),
            p.GetRequiredService<IOptions<LifecycleOptions>>().Value.OrphanGrace,
            p.GetRequiredService<TimeProvider>(),
            p.GetService<IPortabilityJobRunner>()));
        services.AddSingleton<UserLifecycleGate>();
        services.AddTimerJob<RetentionSweepJob>(RetentionSweepJob.Name, RetentionSweepJob.Schedule);
        services.AddTimerJob<OrphanSweepJob>(OrphanSweepJob.Name, OrphanSweepJob.Schedule);
        services.AddTimerJob<LifecycleJobsJob>(LifecycleJobsJob.Name, LifecycleJobsJob.Schedule);
        return services;
    }
}
