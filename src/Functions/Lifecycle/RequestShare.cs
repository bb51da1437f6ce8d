namespace Serverless.Functions.Lifecycle;

/// <summary>
/// The bounded share of a background job that a request does itself (<see cref="LifecycleRunOptions.RequestWorkBudget"/>):
/// small users are served at once; for the others the work stops at the budget and the jobs timer does the rest.
/// </summary>
internal static class RequestShare
{
    /// <summary>Runs <paramref name="work"/> for at most <paramref name="budget"/>; null when the budget ran out first.</summary>
    /// <exception cref="OperationCanceledException">The client went away.</exception>
    public static async Task<T?> RunAsync<T>(TimeSpan budget, TimeProvider time, Func<CancellationToken, Task<T>> work, CancellationToken requestAborted)
        where T : class
    {
        using var deadline = new CancellationTokenSource(budget, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, deadline.Token);
        try
        {
            return await work(linked.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !requestAborted.IsCancellationRequested)
        {
            return null;
        }
    }
}
