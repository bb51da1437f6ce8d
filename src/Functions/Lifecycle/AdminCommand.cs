using System.CommandLine;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Storage;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;

namespace Serverless.Functions.Lifecycle;

/// <summary>
/// <c>Serverless.Functions admin &lt;command&gt;</c>: one-shot operator commands of the data lifecycle, run against the
/// storage the app is configured with (the same settings, so the same environment variables as the deployed app), each
/// printing JSON on standard output: erase a user, legal holds, the retention and orphan sweeps (with
/// <c>--dry-run</c>), the expiry backfill, a user's usage, integrity and migrations, one run of the jobs timer.
/// User ids are the identity provider's (the token's <c>sub</c>).
/// </summary>
/// <remarks>Exit codes: 0 done; 1 failed or bad arguments (the message on standard error); 3 refused (a legal hold, an erasure under way); 4 not found.</remarks>
public static class AdminCommand
{
    /// <summary>The command word.</summary>
    public const string Name = "admin";

    private const int Refused = 3;
    private const int NotFound = 4;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, Converters = { new UtcDateTimeOffsetConverter() } };

    /// <summary>Runs the command when <paramref name="args"/> asks for it.</summary>
    /// <returns>The process exit code, or null when the arguments are not this command.</returns>
    public static async Task<int?> TryRunAsync(string[] args, IServiceProvider services, TextWriter? output = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] != Name)
        {
            return null;
        }

        var commands = new Commands(services);
        var parsed = commands.Root.Parse(args[1..]);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output ?? Console.Out, Error = error ?? Console.Error }, cancellationToken);
    }

    /// <summary>The command tree, each action resolving what it needs from the app's services.</summary>
    private sealed class Commands
    {
        private readonly IServiceProvider services;
        private readonly Argument<string> user = new("userId") { Description = "The user id, as the identity provider issues it (the token's sub)." };
        private readonly Option<bool> dryRun = new("--dry-run") { Description = "Only report what would go; change nothing." };

        public Commands(IServiceProvider services)
        {
            this.services = services;
            Root = new RootCommand("Operator commands of the data lifecycle; each prints JSON.")
            {
                Erase(), Receipt(), Hold(), RetentionSweep(), OrphanSweep(), Backfill(), Usage(), Integrity(), Migrate(), RunJobs(),
            };
        }

        public RootCommand Root { get; }

        private LifecycleJobs Jobs => services.GetRequiredService<LifecycleJobs>();

        private LifecycleRunOptions Options => services.GetRequiredService<IOptions<LifecycleRunOptions>>().Value;

        private Command Erase()
        {
            var noWait = new Option<bool>("--no-wait") { Description = "Start the job and return; the LifecycleJobs timer finishes it." };
            var command = new Command("erase", "Erases every row, blob and index entry of a user (refused under a legal hold) and prints the receipt.") { user, noWait };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
            {
                var partition = UserOf(parse);
                var job = await Jobs.Erasure.StartAsync(partition, ct);
                if (!job.Done && !parse.GetValue(noWait))
                {
                    job = await Jobs.Erasure.RunAsync(partition, ct);
                }

                return Print(parse, ErasureView.From(job));
            }));
            return command;
        }

        private Command Receipt()
        {
            var command = new Command("receipt", "Prints a user's erasure job or receipt (exit 4 when there is none).") { user };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
                await Jobs.Erasure.GetAsync(Jobs.HashOf(UserOf(parse)), ct) is { } job ? Print(parse, ErasureView.From(job)) : Fail(parse, NotFound, "No erasure of this user was requested.")));
            return command;
        }

        private Command Hold()
        {
            var reason = new Option<string>("--reason") { Description = "Why (a case reference); never shown to the user.", Required = true };
            var place = new Command("place", "Places a legal hold: nothing of the user is purged or erased until it is released.") { user, reason };
            place.SetAction((parse, ct) => RunAsync(parse, async () => Print(parse, await Holds.PlaceAsync(UserOf(parse), parse.GetValue(reason)!, ct))));
            var release = new Command("release", "Releases the user's legal hold (exit 4 when there was none).") { user };
            release.SetAction((parse, ct) => RunAsync(parse, async () =>
                await Holds.ReleaseAsync(UserOf(parse), ct) ? Print(parse, new { released = true }) : Fail(parse, NotFound, "The user has no legal hold.")));
            var show = new Command("show", "Prints the user's legal hold (exit 4 when there is none).") { user };
            show.SetAction((parse, ct) => RunAsync(parse, async () =>
                await Holds.GetAsync(UserOf(parse), ct) is { } hold ? Print(parse, hold) : Fail(parse, NotFound, "The user has no legal hold.")));
            return new Command("hold", "Legal holds.") { place, release, show };
        }

        private LegalHolds Holds => services.GetRequiredService<LegalHolds>();

        private Command RetentionSweep()
        {
            var maxEntries = new Option<int?>("--max-entries") { Description = "Expiry entries to read at most (default Lifecycle:RetentionMaxEntries)." };
            var command = new Command("retention-sweep", "Runs the retention sweep once: purges what is due (deleted threads, run logs of deleted missions, idempotency records).") { dryRun, maxEntries };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
                Print(parse, await services.GetRequiredService<RetentionSweep>().RunAsync(parse.GetValue(dryRun), parse.GetValue(maxEntries) ?? Options.RetentionMaxEntries, ct))));
            return command;
        }

        private Command OrphanSweep()
        {
            var maxUsers = new Option<int?>("--max-users") { Description = "Users to sweep at most (default Lifecycle:OrphanSweepMaxUsers); the next run carries on." };
            var only = new Option<string?>("--user") { Description = "Sweep this user only." };
            var command = new Command("orphan-sweep", "Runs the orphan sweep once: deletes blobs no row references, older than Lifecycle:OrphanGrace.") { dryRun, maxUsers, only };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
            {
                var sweep = services.GetRequiredService<OrphanSweep>();
                var grace = services.GetRequiredService<IOptions<LifecycleOptions>>().Value.OrphanGrace;
                return Print(parse, parse.GetValue(only) is { } id
                    ? await sweep.RunUserAsync(UserPartition.For(id), grace, parse.GetValue(dryRun), ct)
                    : await sweep.RunAsync(grace, parse.GetValue(dryRun), parse.GetValue(maxUsers) ?? Options.OrphanSweepMaxUsers, ct));
            }));
            return command;
        }

        private Command Backfill()
        {
            var only = new Option<string?>("--user") { Description = "Schedule this user's data only." };
            var restart = new Option<bool>("--restart") { Description = "Start the backfill across users over, even when it is done." };
            var command = new Command("backfill", "Schedules retention for data written before the expiry index (the LifecycleJobs timer does it once by itself).") { only, restart };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
            {
                if (parse.GetValue(only) is { } id)
                {
                    return Print(parse, await Jobs.Backfill.RunAsync(UserPartition.For(id), ct));
                }

                if (parse.GetValue(restart))
                {
                    await Jobs.Backfill.ResetAsync(ct);
                }

                BackfillProgress progress;
                var pages = 0;
                do
                {
                    progress = await Jobs.Backfill.RunPagesAsync(100, ct);
                    pages += progress.Pages;
                }
                while (!progress.Done && progress.Pages > 0);

                return Print(parse, progress with { Pages = pages });
            }));
            return command;
        }

        private Command Usage()
        {
            var command = new Command("usage", "Computes a user's usage (rows and bytes per kind) and keeps it as their last report.") { user };
            command.SetAction((parse, ct) => RunAsync(parse, async () => Print(parse, StorageUsageView.From(await Jobs.ComputeUsageAsync(UserOf(parse), ct), null))));
            return command;
        }

        private Command Integrity()
        {
            var repair = new Option<bool>("--repair") { Description = "Repair what can be repaired safely first (then check again)." };
            var command = new Command("integrity", "Checks a user's data and prints every problem (with --repair: what the repair did, and what is left).") { user, repair };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
            {
                var partition = UserOf(parse);
                IntegrityReport? repaired = null;
                if (parse.GetValue(repair))
                {
                    await Jobs.RefuseErasingAsync(partition, ct);
                    repaired = await Jobs.Integrity.RepairAsync(partition, ct);
                }

                return Print(parse, new { repair = repaired, check = await Jobs.Integrity.CheckAsync(partition, ct) });
            }));
            return command;
        }

        private Command Migrate()
        {
            var command = new Command("migrate", "Runs a user's schema migrations to the end and prints where each step stands.") { user };
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
            {
                var partition = UserOf(parse);
                await Jobs.RefuseErasingAsync(partition, ct);
                return Print(parse, MigrationsView.From(SchemaMigrations.Current, await Jobs.Migrations.RunAsync(partition, ct), null));
            }));
            return command;
        }

        private Command RunJobs()
        {
            var command = new Command("run-jobs", "Runs the LifecycleJobs timer once: queued erasures, reports and migrations, and the backfill while it is not done.");
            command.SetAction((parse, ct) => RunAsync(parse, async () =>
                Print(parse, await Jobs.RunPendingAsync(Options.JobsPerRun, Options.JobsRunBudget, Options.BackfillPagesPerRun, ct))));
            return command;
        }

        private UserPartition UserOf(ParseResult parse) => UserPartition.For(parse.GetValue(user)!);

        /// <summary>Creates the tables if needed (a command starts none of the app's background work), runs the action, and maps refusals to exit codes.</summary>
        private async Task<int> RunAsync(ParseResult parse, Func<Task<int>> action)
        {
            try
            {
                await StorageBootstrap.CreateAsync(services.GetRequiredService<AppTables>(), services.GetRequiredService<AppContainers>(), CancellationToken.None);
                return await action();
            }
            catch (LegalHoldException e)
            {
                return Fail(parse, Refused, e.Message);
            }
            catch (ErasureInProgressException e)
            {
                return Fail(parse, Refused, e.Message);
            }
            catch (Exception e) when (e is RequestFailedException or InvalidOperationException or ArgumentException)
            {
                return Fail(parse, 1, e.Message);
            }
        }

        private static int Print<T>(ParseResult parse, T value)
        {
            parse.InvocationConfiguration.Output.WriteLine(JsonSerializer.Serialize(value, Json));
            return 0;
        }

        private static int Fail(ParseResult parse, int code, string message)
        {
            parse.InvocationConfiguration.Error.WriteLine(message);
            return code;
        }
    }
}
