using Azure;
using Serverless.Storage;

namespace Serverless.Functions.Storage;

/// <summary>
/// Creates the app's tables and containers in the background once the app starts, retrying with
/// backoff until storage answers. It never holds up startup: the Functions host restarts a worker
/// that is slow to start, and a storage emulator started at the same moment may need longer. Until it
/// succeeds, API calls wait briefly and then get 503.
/// </summary>
internal sealed partial class StorageBootstrap(AppTables tables, AppContainers containers, StorageAccount account, StorageReadiness readiness, ILogger<StorageBootstrap> logger)
    : BackgroundService
{
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);
    private readonly string description = account.ToString();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = FirstDelay;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CreateAsync(tables, containers, stoppingToken).ConfigureAwait(false);
                readiness.MarkReady();
                LogReady(logger, description);
                return;
            }
            catch (RequestFailedException e)
            {
                // Unreachable storage is usually transient (emulator starting); anything else (403: wrong
                // identity or key) needs an operator, so it is logged as an error, and still retried.
                if (e.Status == 0)
                {
                    LogWaiting(logger, description, delay.TotalSeconds);
                }
                else
                {
                    LogFailing(logger, e, description, delay.TotalSeconds);
                }
            }

            await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(MaxDelay.Ticks, delay.Ticks * 2));
        }
    }

    /// <summary>Creates every table and container the app uses, where missing (also for one-shot commands, which start no background work).</summary>
    internal static Task CreateAsync(AppTables tables, AppContainers containers, CancellationToken cancellationToken) =>
        Task.WhenAll(
            tables.Users.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            tables.Due.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            tables.Expiry.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            tables.Lifecycle.CreateIfNotExistsAsync(cancellationToken: cancellationToken),
            containers.Payloads.CreateIfNotExistsAsync(cancellationToken: cancellationToken));

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Storage ready: {Connection}")]
    private static partial void LogReady(ILogger logger, string connection);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Waiting for storage at {Connection}; next try in {Seconds} s")]
    private static partial void LogWaiting(ILogger logger, string connection, double seconds);

    [LoggerMessage(EventId = 102, Level = LogLevel.Error, Message = "Storage at {Connection} refuses to set up; next try in {Seconds} s")]
    private static partial void LogFailing(ILogger logger, Exception exception, string connection, double seconds);
}
