namespace Serverless.Storage.Conversations;

/// <summary>Jittered, capped delays between attempts that lost an optimistic-concurrency race.</summary>
internal static class Backoff
{
    /// <summary>Waits a random time up to 5 ms per attempt so far, at most 100 ms, so contenders spread out instead of colliding again.</summary>
    public static Task DelayAsync(int attempt, CancellationToken cancellationToken) =>
        Task.Delay(Random.Shared.Next(1, Math.Min(100, 5 * attempt) + 1), cancellationToken);
}
