using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// The jobs timer's <see cref="IPortabilityJobRunner"/>, resolving <see cref="PortabilityJobRunner"/> at its first use:
/// the importer needs the missions' secret protector, which refuses to be built where mission keys are not configured,
/// and the lifecycle services (built for every request's gate) must not need it.
/// </summary>
internal sealed class DeferredPortabilityJobRunner(IServiceProvider services) : IPortabilityJobRunner
{
    /// <inheritdoc />
    public Task<bool> RunAsync(UserPartition user, CancellationToken cancellationToken) =>
        services.GetRequiredService<PortabilityJobRunner>().RunAsync(user, cancellationToken);
}
