using Serverless.Functions.Conversations;
using Serverless.Functions.Lifecycle;

namespace Serverless.Functions.Api;

/// <summary>What the API gate asks of one operation: whether it is anonymous, and its body limit.</summary>
/// <param name="Anonymous">Served without a user: no token check, no rate limit, no wait for storage.</param>
/// <param name="MaxBodyBytes">The body limit, or null for <see cref="ApiOptions.MaxRequestBodyBytes"/>.</param>
public sealed record OperationPolicy(bool Anonymous, long? MaxBodyBytes)
{
    /// <summary>A write that is not refused while the user's erasure runs (every other write is: <see cref="Lifecycle.UserLifecycleGate"/>).</summary>
    public bool AllowedWhileErasing { get; init; }

    /// <summary>Every operation not listed in <see cref="OperationPolicies"/>: a user is required, the global body limit applies.</summary>
    public static OperationPolicy Default { get; } = new(false, null);
}

/// <summary>
/// The per-operation policy, keyed by operation name (the function name, which is also the local
/// route's endpoint name), read by both hosts' pipelines and by the OpenAPI document. Everything
/// is authenticated unless listed here.
/// </summary>
public static class OperationPolicies
{
    private static readonly Dictionary<string, OperationPolicy> Exceptions = new(StringComparer.Ordinal)
    {
        [nameof(ServiceFunctions.Health)] = new(Anonymous: true, MaxBodyBytes: null),
        [nameof(ServiceFunctions.GetOpenApiDocument)] = new(Anonymous: true, MaxBodyBytes: null),
        [nameof(MessageFunctions.AppendMessage)] = new(Anonymous: false, MessageEndpoints.SingleAppendBodyBytes),
        [nameof(MessageFunctions.AppendMessages)] = new(Anonymous: false, MessageEndpoints.BatchAppendBodyBytes),

        [nameof(Portability.PortabilityFunctions.StartImport)] = new(Anonymous: false, Portability.PortabilityEndpoints.MaxImportBodyBytes),

        // Asking again for one's erasure returns the job under way.
        [nameof(LifecycleFunctions.DeleteMe)] = new(Anonymous: false, MaxBodyBytes: null) { AllowedWhileErasing = true },
    };

    /// <summary>The policy of <paramref name="operation"/>.</summary>
    public static OperationPolicy For(string operation) => Exceptions.GetValueOrDefault(operation, OperationPolicy.Default);
}
