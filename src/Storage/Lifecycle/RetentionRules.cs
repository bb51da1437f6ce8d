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

    /// <summary>Every rule.</summary>
    public static IReadOnlyList<RetentionRule> All { get; } = [DeletedThread, DeletedMission, Idempotency, Portability];

    /// <summary>The rule with that name, or null.</summary>
    public static RetentionRule? Named(string name) => All.FirstOrDefault(r => r.Name == name);
}
