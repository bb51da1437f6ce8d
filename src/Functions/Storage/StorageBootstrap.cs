using Serverless.Storage;

namespace Serverless.Functions.Storage;

/// <summary>
/// Creates the app's tables and containers when the app starts, retrying for a while so that a
/// storage emulator started at the same moment is waited for. If storage stays unreachable the
/// app stops with a message that says so, instead of answering every request with errors.
/// </summary>
internal sealed partial class StorageBootstrap(AppTables tables, AppContainers containers, StorageConnection connection, ILogger<StorageBootstrap> logger) : IHostedService
{
    private readonly string description = connection.ToString();

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                await Task.WhenAll(
                    tables.Users.CreateIfNotExistsAsync(cancellationToken),
                    tables.Timers.CreateIfNotExistsAsync(cancellationToken),
                    tables.Due.CreateIfNotExistsAsync(cancellationToken),
                    containers.Payloads.CreateIfNotExistsAsync(cancellationToken),
                    containers.Locks.CreateIfNotExistsAsync(cancellationToken)).ConfigureAwait(false);
                LogReady(logger, description);
                return;
            }
            catch (StorageException e) when (e.Status == 0 && DateTime.UtcNow < deadline)
            {
                LogWaiting(logger, description);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
            }
            catch (StorageException e)
            {
                throw new InvalidOperationException($"Storage is not usable ({connection}): {e.Message}", e);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Storage ready: {Connection}")]
    private static partial void LogReady(ILogger logger, string connection);

    [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Waiting for storage at {Connection}")]
    private static partial void LogWaiting(ILogger logger, string connection);
}
