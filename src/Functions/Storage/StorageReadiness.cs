namespace Serverless.Functions.Storage;

/// <summary>Whether the app's tables and containers exist yet (set once by <see cref="StorageBootstrap"/>; <see cref="Api.ApiPipeline"/> waits on it).</summary>
public sealed class StorageReadiness
{
    /// <summary>How long an API call waits for storage to become ready before answering 503.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(10);

    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when storage is ready.</summary>
    public Task Ready => ready.Task;

    internal void MarkReady() => ready.TrySetResult();
}
