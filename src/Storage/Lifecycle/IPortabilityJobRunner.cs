using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Continues a user's unfinished export and import jobs for the jobs timer (<see cref="LifecycleJobKinds.Portability"/>).
/// The app implements it: importing checks resources with the API's own validation, which storage does not know.
/// </summary>
public interface IPortabilityJobRunner
{
    /// <summary>Runs the user's unfinished jobs; returns whether none is left (false: stopped by the budget, run again).</summary>
    Task<bool> RunAsync(UserPartition user, CancellationToken cancellationToken);
}
