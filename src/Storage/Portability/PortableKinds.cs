using Serverless.Bundles;
using Serverless.Storage.Lifecycle;

namespace Serverless.Storage.Portability;

/// <summary>How one registered kind of user data travels in bundles.</summary>
/// <param name="Kind">The registry kind.</param>
/// <param name="BundleKind">The bundle kind carrying its data, or null when bundles do not carry it.</param>
/// <param name="Why">How it is carried, or why not.</param>
public sealed record PortableKind(UserDataKind Kind, string? BundleKind, string Why);

/// <summary>
/// Beside the kind registry (<see cref="UserDataKinds"/>): what export and import do with each kind. A test fails when a
/// registered kind is missing here, or when a bundle kind named here is not written by the exporter and read by the
/// importer, so a kind added to the registry must be given its place in bundles (or a reason it has none).
/// </summary>
public static class PortableKinds
{
    private const string NotYet = "not carried by bundle version 1 yet";

    /// <summary>Every registered kind's place in bundles.</summary>
    public static IReadOnlyList<PortableKind> All { get; } =
    [
        new(UserDataKinds.Thread, BundleKinds.Thread, "one line per thread, forks after their parents"),
        new(UserDataKinds.ThreadActivity, BundleKinds.Thread, "list index rebuilt from the thread line"),
        new(UserDataKinds.ThreadCreation, BundleKinds.Thread, "list index rebuilt from the thread line"),
        new(UserDataKinds.Message, BundleKinds.Message, "one line per own message; long texts as blob files"),
        new(UserDataKinds.ClientMessageId, BundleKinds.Message, "the message line's id"),
        new(UserDataKinds.Segment, BundleKinds.Message, "archived messages are exported as messages (the thread's archived flag travels; its packing does not)"),
        new(UserDataKinds.Summary, BundleKinds.Summary, "one line per summary"),
        new(UserDataKinds.Setting, BundleKinds.Setting, "one line per setting"),
        new(UserDataKinds.Artifact, BundleKinds.Artifact, "one line per artifact, its raw content as a blob file; list index copies rebuilt from the line, upload reservations not carried"),
        new(UserDataKinds.Mission, BundleKinds.Mission, "the definition, never the signing secret (an import issues a new one)"),
        new(UserDataKinds.MissionRun, null, "the delivery log of this deployment's webhooks, not the user's content; not carried in version 1"),
        new(UserDataKinds.Idempotency, null, "24-hour protocol records of requests to this deployment"),
        new(UserDataKinds.Lifecycle, null, "legal holds, migration records and reports: the operator's records about the user"),
        new(UserDataKinds.Portability, null, "the export and import jobs themselves"),

        // Kinds that arrived with agent state and artifacts after bundle version 1 was written: not exported or imported
        // yet. Until they are, an export is not a complete copy of a user who has them (the README says so).
        new(UserDataKinds.Memory, null, NotYet),
        new(UserDataKinds.MemoryWord, null, "the memory word index, rebuilt from memories once they are carried"),
        new(UserDataKinds.Run, null, NotYet),
        new(UserDataKinds.RunList, null, "run list rows, rebuilt from runs once they are carried"),
        new(UserDataKinds.RunStats, null, "run counters, rebuilt from runs once they are carried"),
        new(UserDataKinds.Event, null, NotYet),
        new(UserDataKinds.Usage, null, "usage rollups, rebuilt from events and messages once events are carried"),
        new(UserDataKinds.Record, null, NotYet),
        new(UserDataKinds.RecordRecent, null, "record list copies, rebuilt from records once they are carried"),
        new(UserDataKinds.RecordStatus, null, "record list copies, rebuilt from records once they are carried"),
        new(UserDataKinds.RecordParent, null, "record list copies, rebuilt from records once they are carried"),
        new(UserDataKinds.RecordMeta, null, "record quota counters, rebuilt from records once they are carried"),
        new(UserDataKinds.Autosave, null, "crash-recovery state of open clients, minutes old by design; not worth moving"),
        new(UserDataKinds.Integration, null, NotYet + "; secrets would need the user's own key to travel"),
    ];

    /// <summary>The bundle kinds that carry data.</summary>
    public static IReadOnlySet<string> BundleKindNames { get; } = All.Select(k => k.BundleKind).OfType<string>().ToHashSet(StringComparer.Ordinal);
}
