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
        new(UserDataKinds.Mission, BundleKinds.Mission, "the definition, never the signing secret (an import issues a new one)"),
        new(UserDataKinds.MissionRun, null, "the delivery log of this deployment's webhooks, not the user's content; not carried in version 1"),
        new(UserDataKinds.Idempotency, null, "24-hour protocol records of requests to this deployment"),
        new(UserDataKinds.Lifecycle, null, "legal holds, migration records and reports: the operator's records about the user"),
        new(UserDataKinds.Portability, null, "the export and import jobs themselves"),

        // Kinds that arrived with agent state and artifacts after bundle version 1 was written: not exported or imported
        // yet. Until they are, an export is not a complete copy of a user who has them (the README says so).
        new(UserDataKinds.Memory, BundleKinds.Memory, "one line per memory"),
        new(UserDataKinds.MemoryWord, BundleKinds.Memory, "the memory word index, rebuilt from the memory line as a PUT builds it"),
        new(UserDataKinds.Run, BundleKinds.Run, "one line per run, status kept; long input, output and error as blob files"),
        new(UserDataKinds.RunList, BundleKinds.Run, "run list rows, rebuilt from the run line"),
        new(UserDataKinds.RunStats, BundleKinds.Run, "run counters, rebuilt from the run lines"),
        new(UserDataKinds.Event, BundleKinds.Event, "one line per event, known by id and time"),
        new(UserDataKinds.Usage, BundleKinds.Event, "usage rollups, counted as each imported event and each imported message that reports usage is written"),
        new(UserDataKinds.Record, BundleKinds.Record, "one line per live record, parents before children; large documents as blob files"),
        new(UserDataKinds.RecordRecent, BundleKinds.Record, "record list copies, rebuilt from the record lines"),
        new(UserDataKinds.RecordStatus, BundleKinds.Record, "record list copies, rebuilt from the record lines"),
        new(UserDataKinds.RecordParent, BundleKinds.Record, "record list copies, rebuilt from the record lines"),
        new(UserDataKinds.RecordMeta, BundleKinds.Record, "record quota counters, rebuilt from the record lines"),
        new(UserDataKinds.Artifact, null, NotYet),
        new(UserDataKinds.Autosave, null, "crash-recovery state of open clients, minutes old by design; not worth moving"),
        new(UserDataKinds.Integration, BundleKinds.Integration, "one line per integration; secrets only sealed under the user's passphrase (else left out and counted)"),
    ];

    /// <summary>The bundle kinds that carry data.</summary>
    public static IReadOnlySet<string> BundleKindNames { get; } = All.Select(k => k.BundleKind).OfType<string>().ToHashSet(StringComparer.Ordinal);
}
