using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Pipeline;

/// <summary>
/// Counts the tries of the storage calls made while it is in scope, so a write can tell a conflict met
/// by its own retry (the first try may have committed and lost its response) from a conflict on its
/// first try. It rides on Azure.Core's message-properties scope, which the pipeline copies into every
/// message sent from this async flow; <see cref="Policy"/> (on every client, see
/// <see cref="StoragePipeline"/>) counts each try.
/// </summary>
internal sealed class Tries : IDisposable
{
    private const string Property = "serverless.tries";
    private readonly IDisposable scope;
    private int count;

    private Tries() =>
        scope = HttpPipeline.CreateHttpMessagePropertiesScope(new Dictionary<string, object?>(StringComparer.Ordinal) { [Property] = this });

    /// <summary>The policy that counts tries; every storage client has it.</summary>
    public static HttpPipelinePolicy Policy { get; } = new CountingPolicy();

    /// <summary>Whether a request sent in this scope went out more than once.</summary>
    public bool Retried => Volatile.Read(ref count) > 1;

    /// <summary>Starts counting; dispose to stop.</summary>
    public static Tries Track() => new();

    /// <inheritdoc />
    public void Dispose() => scope.Dispose();

    private sealed class CountingPolicy : HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(HttpMessage message)
        {
            if (message.TryGetProperty(Property, out var value) && value is Tries tries)
            {
                Interlocked.Increment(ref tries.count);
            }
        }
    }
}
