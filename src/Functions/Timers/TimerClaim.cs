namespace Serverless.Functions.Timers;

/// <summary>A won claim on one tick, with what the job's row said before it.</summary>
/// <param name="PreviousScheduled">The previously claimed occurrence; <c>null</c> on the job's first tick.</param>
/// <param name="PreviousFinished">When the last run ended, if one was recorded.</param>
/// <param name="PreviousUpdated">When the row was last claimed.</param>
internal sealed record TimerClaim(DateTimeOffset? PreviousScheduled, DateTimeOffset? PreviousFinished, DateTimeOffset? PreviousUpdated);
