using Serverless.Storage.Artifacts;
using Serverless.Storage.Autosave;
using Serverless.Storage.Events;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Usage;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>Every retention rule: what expires, and by default when.</summary>
public static class RetentionRules
{
    /// <summary>
    /// A soft-deleted thread, after the restore window: its messages, client ids, segments, summary, list rows and
    /// blobs, except what a fork still reads (a parent's messages up to each fork point stay until no fork needs them).
    /// </summary>
    public static RetentionRule DeletedThread { get; } = RetentionRule.ForSubjects("thread.deleted", UserDataKinds.Thread, TimeSpan.FromDays(30), userOverridable: true);

    /// <summary>The run log (rows and stored response bodies) of a deleted mission; by default at the next sweep.</summary>
    public static RetentionRule DeletedMission { get; } = RetentionRule.ForSubjects("mission.deleted", UserDataKinds.MissionRun, TimeSpan.Zero, userOverridable: true);

    /// <summary>Idempotency records, 24 h after their first use: a protocol guarantee, so users cannot change it.</summary>
    public static RetentionRule Idempotency { get; } = RetentionRule.ForRows(
        UserDataKinds.Idempotency, IdempotencyStore.Lifetime, userOverridable: false, [IdempotencyStore.CreatedAtColumn], row => row.GetDateTimeOffset(IdempotencyStore.CreatedAtColumn));

    /// <summary>Export and import jobs with their bundles, 7 days after the job was created (a user may shorten or lengthen it).</summary>
    public static RetentionRule Portability { get; } = RetentionRule.ForRows(
        UserDataKinds.Portability, TimeSpan.FromDays(7), userOverridable: true, [global::Serverless.Storage.Portability.PortabilityJobStore.CreatedAtColumn], row => row.GetDateTimeOffset(global::Serverless.Storage.Portability.PortabilityJobStore.CreatedAtColumn));

    /// <summary>
    /// Artifacts (and their index copies) whose own <c>ExpiresAt</c> has passed, with their content blobs. Every row carries its
    /// expiry (snapshots 30 days after upload unless starred, or what the user set), so the retention here is 0, and entries are
    /// scheduled for the hour of each expiry.
    /// </summary>
    public static RetentionRule Artifact { get; } = RetentionRule.ForRows(
        UserDataKinds.Artifact, TimeSpan.Zero, userOverridable: false, [ArtifactEntities.ExpiresAtColumn], row => row.GetDateTimeOffset(ArtifactEntities.ExpiresAtColumn));

    /// <summary>Autosave slots, after their last save (<c>Autosave:Expiry</c>, 30 minutes: the recovery window).</summary>
    public static RetentionRule Autosave { get; } = RetentionRule.ForRows(
        UserDataKinds.Autosave, TimeSpan.FromMinutes(30), userOverridable: false, [AutosaveStore.SavedAtColumn], row => row.GetDateTimeOffset(AutosaveStore.SavedAtColumn));


    /// <summary>Runs, 90 days after they were created: the run, its list rows and offloaded texts, and its place in the counters.</summary>
    public static RetentionRule Runs { get; } = RetentionRule.WithPurge("run", UserDataKinds.Run, RetentionScope.Rows, TimeSpan.FromDays(90), userOverridable: true, RunPurge.RunAsync);

    /// <summary>Events, 90 days after their time; the purge reads only the expired range (event rows sort by time).</summary>
    public static RetentionRule Events { get; } = RetentionRule.ForTimeOrderedRows(
        UserDataKinds.Event, TimeSpan.FromDays(90), userOverridable: true, [EventStore.TimeColumn], row => row.GetDateTimeOffset(EventStore.TimeColumn), EventStore.AtOrBefore);

    /// <summary>Daily usage rollups, 400 days after their day ends (a year's charts); the purge reads only the expired days.</summary>
    public static RetentionRule Usage { get; } = RetentionRule.ForTimeOrderedRows(
        UserDataKinds.Usage, TimeSpan.FromDays(400), userOverridable: true, [], UsageRollups.EndOfDay, (user, cutoff) => UsageRollups.Before(user, UserRowKeys.Day(cutoff)));

    /// <summary>A record whose <c>expiresAt</c> has passed: the record and its list rows, and its place in the quota counters.</summary>
    public static RetentionRule ExpiredRecord { get; } = RetentionRule.WithPurge("record.expired", UserDataKinds.Record, RetentionScope.Subject, TimeSpan.Zero, userOverridable: false, RecordPurge.RunAsync);

    /// <summary>Every rule.</summary>
    public static IReadOnlyList<RetentionRule> All { get; } = [DeletedThread, DeletedMission, Idempotency, Runs, Events, Usage, ExpiredRecord, Artifact, Autosave, Portability];

    /// <summary>The rule with that name, or null.</summary>
    public static RetentionRule? Named(string name) => All.FirstOrDefault(r => r.Name == name);
}
