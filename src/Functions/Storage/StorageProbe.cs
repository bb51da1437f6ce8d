using Azure;
using Azure.Data.Tables;

namespace Serverless.Functions.Storage;

/// <summary>What the last look at storage found.</summary>
/// <param name="Ready">Whether storage answered, with the app's table and container there.</param>
/// <param name="CheckedAt">When storage was asked.</param>
/// <param name="Problem">Why it is not ready, for the client; null when ready.</param>
public sealed record StorageState(bool Ready, DateTimeOffset CheckedAt, string? Problem);

/// <summary>
/// Whether storage answers right now, for the readiness route: a point read of a row that does not exist in the user
/// table and an existence check of the payload container, both bounded by <see cref="Timeout"/> (not the API's retry
/// policy, which takes seconds to give up). One probe serves every caller for <see cref="CacheFor"/>, and concurrent
/// callers share the probe under way, so readiness checks cost storage at most two requests per window.
/// </summary>
public sealed class StorageProbe(AppTables tables, AppContainers containers, StorageReadiness readiness, TimeProvider time)
{
    /// <summary>How long one probe's answer stands.</summary>
    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(5);

    /// <summary>How long a probe waits for storage before it calls it unreachable.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly Lock gate = new();
    private Task<StorageState>? latest;

    /// <summary>Storage's state: the cached answer while it is fresh, else a new probe's.</summary>
    public Task<StorageState> CheckAsync()
    {
        lock (gate)
        {
            if (latest is null || (latest.IsCompleted && time.GetUtcNow() - latest.Result.CheckedAt >= CacheFor))
            {
                latest = ProbeAsync();
            }

            return latest;
        }
    }

    private async Task<StorageState> ProbeAsync()
    {
        var now = time.GetUtcNow();
        if (!readiness.Ready.IsCompleted)
        {
            return new StorageState(false, now, "The app has not reached storage yet to create its tables and containers.");
        }

        // Not the caller's token: a probe serves every caller of its window, whoever goes away.
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            var read = tables.Users.GetEntityIfExistsAsync<TableEntity>("readiness-probe", "readiness-probe", ["PartitionKey"], timeout.Token);
            var container = containers.Payloads.ExistsAsync(timeout.Token);
            await Task.WhenAll(read, container).ConfigureAwait(false);
            return container.Result.Value
                ? new StorageState(true, now, null)
                : new StorageState(false, now, "The payload container does not exist.");
        }
        catch (OperationCanceledException)
        {
            return new StorageState(false, now, $"Storage did not answer within {Timeout.TotalSeconds:0} s.");
        }
        catch (RequestFailedException e)
        {
            return new StorageState(false, now, e.Status == 0 ? "Storage is unreachable." : $"Storage answered {e.Status} {e.ErrorCode}.");
        }
    }
}
