namespace Serverless.Storage.Lifecycle;

/// <summary>
/// An erasure job's state, and once <see cref="Done"/> its receipt. It holds no personal data: the user appears only
/// as <see cref="UserHash"/>, and what was erased only as counts per kind.
/// </summary>
/// <param name="UserHash">The user's keyed hash, hex (<see cref="ErasureJobs.KeyOf"/>): the job's and the receipt's id.</param>
/// <param name="Phase">Where the job is: <c>rows</c>, <c>blobs</c>, <c>indexes</c>, <c>verify</c>, then <c>done</c>.</param>
/// <param name="Pass">Passes over the user's data so far (more than 1 when the user wrote while the job ran).</param>
/// <param name="StartedAt">When the job started.</param>
/// <param name="EndedAt">When it finished, or null.</param>
/// <param name="Erased">Rows, blobs and index entries erased, with their bytes, per kind.</param>
public sealed record ErasureJob(string UserHash, string Phase, int Pass, DateTimeOffset StartedAt, DateTimeOffset? EndedAt, IReadOnlyList<KindCount> Erased)
{
    /// <summary>Whether the job is finished: this is then the receipt.</summary>
    public bool Done => Phase == ErasureJobs.DonePhase;
}
