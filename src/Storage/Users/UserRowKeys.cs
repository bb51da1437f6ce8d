using System.Globalization;
using Serverless.Storage.Tables;

namespace Serverless.Storage.Users;

/// <summary>
/// The one place that knows the RowKey scheme of the user table: every kind of user row lives in
/// the user's partition, told apart by a prefix, so each kind is a prefix scan and one entity
/// group transaction can touch several kinds at once. Ids and names are encoded segments
/// (<see cref="KeyEncoding"/>), so a segment never contains the separator.
/// </summary>
/// <remarks>WARNING: these prefixes and formats are the stored layout. Changing one orphans existing rows.</remarks>
public static class UserRowKeys
{
    /// <summary>Prefix of setting rows: <c>setting|{namespace}|{key}</c>.</summary>
    public const string Setting = "setting";

    /// <summary>Prefix of idempotency records: <c>idem|{operation}|{key}</c>.</summary>
    public const string Idempotency = "idem";

    /// <summary>Prefix of thread rows: <c>thread|{threadId}</c>.</summary>
    public const string Thread = "thread";

    /// <summary>Prefix of thread activity rows: <c>recent|{invertedTicks}|{threadId}</c>, newest first.</summary>
    public const string Recent = "recent";

    /// <summary>Prefix of message rows: <c>msg|{threadId}|{seq:D10}</c>.</summary>
    public const string Message = "msg";

    /// <summary>Prefix of client message id rows: <c>msgid|{threadId}|{messageId}</c>.</summary>
    public const string MessageId = "msgid";

    /// <summary>Prefix of archive segment index rows: <c>seg|{threadId}|{lastSeq:D10}</c>, one per sealed segment blob.</summary>
    public const string Segment = "seg";

    /// <summary>Prefix of summary rows: <c>summary|{threadId}</c>.</summary>
    public const string Summary = "summary";

    /// <summary>Prefix of thread creation rows: <c>created|{invertedTicks}|{threadId}</c>, newest first; they carry the list filters' flags only.</summary>
    public const string Created = "created";

    /// <summary>Prefix of mission rows: <c>mission|{missionId}</c>.</summary>
    public const string Mission = "mission";

    /// <summary>Prefix of mission run rows: <c>mrun|{missionId}|{invertedTicks}|{attemptId}</c>, newest first.</summary>
    public const string MissionRun = "mrun";

    /// <summary>
    /// Prefix of the lifecycle's own rows about the user: <c>lifecycle|hold</c> (a legal hold),
    /// <c>lifecycle|migration|{kind}|{version:D4}</c> (which schema migration ran when) and
    /// <c>lifecycle|report|{name}</c> (the last usage or integrity report).
    /// </summary>
    public const string Lifecycle = "lifecycle";

    /// <summary>Prefix of export and import jobs: <c>port|{jobId}|job</c>, each naming the bundle blobs under <c>{userKey}/port/{jobId}/</c> (the job id is the key's second segment, as blob owners are).</summary>
    public const string Portability = "port";

    /// <summary>
    /// Prefix of everything of artifacts: <c>artifact|{artifactId}</c> (the artifact; ids are <see cref="InvertedTicks"/>
    /// first, so this range lists newest first), its list index copies <c>artifact|~kind|{kind}|{artifactId}</c> and
    /// <c>artifact|~parent|{parent}|{artifactId}</c>, and the upload reservations <c>artifact|~quota</c>. One prefix, so
    /// one registered kind: the copies carry the artifact's expiry and go with it. <c>~</c> sorts after every id character.
    /// </summary>
    public const string Artifact = "artifact";

    /// <summary>Prefix of crash-recovery autosave slots: <c>autosave|{slot}</c>, the state inline (or in a blob when it does not fit).</summary>
    public const string Autosave = "autosave";

    /// <summary>Prefix of integration configs: <c>integration|{provider}</c>, config and encrypted secrets.</summary>
    public const string Integration = "integration";

    /// <summary>Prefix of memory rows: <c>mem|{scope}|{namespace}.|{key}</c>, so a namespace and everything under it is one prefix.</summary>
    public const string Memory = "mem";

    /// <summary>Prefix of memory word-index rows: <c>memword|{scope}|{word}|{namespace}.|{key}</c>, written with the memory.</summary>
    public const string MemoryWord = "memword";

    /// <summary>
    /// Prefix of run rows: <c>run|{runId}|</c>. The trailing separator makes <c>run|{runId}|</c> the prefix of the rows that
    /// may reference the blobs in the run's folder <c>{userKey}/run/{runId}/</c> (what the orphan check reads).
    /// </summary>
    public const string Run = "run";

    /// <summary>
    /// Prefix of run list rows, newest first: <c>runx|all|{invertedTicks}|{runId}</c>, <c>runx|kind|{kind}|…</c>,
    /// <c>runx|status|{status}|…</c>, <c>runx|thread|{threadId}|…</c>; each a summary copy of the run.
    /// </summary>
    public const string RunList = "runx";

    /// <summary>Prefix of the run counters row: <c>runstat|counts</c>, runs per status.</summary>
    public const string RunStats = "runstat";

    /// <summary>Prefix of event rows: <c>evt|{invertedTicks}|{eventId}</c>, newest first.</summary>
    public const string Event = "evt";

    /// <summary>Prefix of usage rollup rows: <c>usage|{yyyyMMdd}|total</c>, <c>usage|{yyyyMMdd}|model|{model}</c>, <c>usage|{yyyyMMdd}|type|{type}</c>.</summary>
    public const string Usage = "usage";

    /// <summary>Prefix of record rows: <c>rec|{collection}|{id}</c>.</summary>
    public const string Record = "rec";

    /// <summary>Prefix of record recency rows (full copies): <c>recr|{collection}|{invertedTicks}|{id}</c>, newest first.</summary>
    public const string RecordRecent = "recr";

    /// <summary>Prefix of record status rows (full copies): <c>recs|{collection}|{status}|{invertedTicks}|{id}</c>, newest first.</summary>
    public const string RecordStatus = "recs";

    /// <summary>Prefix of record parent rows (full copies): <c>recp|{collection}|{parentId}|{id}</c>, children in id order.</summary>
    public const string RecordParent = "recp";

    /// <summary>Prefix of record quota counters: <c>recmeta|{collection}</c> and the user's totals <c>recmeta|_all</c>.</summary>
    public const string RecordMeta = "recmeta";

    /// <summary>Digits of a zero-padded sequence number; sorts numerically as text up to 9,999,999,999.</summary>
    public const int SequenceDigits = 10;

    /// <summary>The row of one setting.</summary>
    public static string ForSetting(string settingNamespace, string key) => KeyEncoding.Compose(Setting, settingNamespace, key);

    /// <summary>The prefix shared by every setting of a namespace (ends with the separator, so "ab" never matches "abc").</summary>
    public static string SettingsOf(string settingNamespace) => KeyEncoding.Compose(Setting, settingNamespace, string.Empty);

    /// <summary>The prefix of every setting row.</summary>
    public static string Settings => Setting + KeyEncoding.Separator;

    /// <summary>The first row key after every setting of <paramref name="settingNamespace"/> (<c>setting|ns}</c>): where the next namespace's rows start.</summary>
    public static string SettingsAfterNamespace(string settingNamespace) => TableFilters.PrefixSuccessor(SettingsOf(settingNamespace))!;

    /// <summary>The idempotency record of a key used on an operation.</summary>
    public static string ForIdempotencyKey(string operation, string key) => KeyEncoding.Compose(Idempotency, operation, key);

    /// <summary>The row of one thread.</summary>
    public static string ForThread(string threadId) => KeyEncoding.Compose(Thread, threadId);

    /// <summary>The prefix of every thread row.</summary>
    public static string Threads => Thread + KeyEncoding.Separator;

    /// <summary>The activity row of a thread last active at <paramref name="activity"/>; newer sorts first.</summary>
    public static string ForRecent(DateTimeOffset activity, string threadId) => KeyEncoding.Compose(Recent, InvertedTicks(activity), threadId);

    /// <summary>The prefix of every activity row.</summary>
    public static string Recents => Recent + KeyEncoding.Separator;

    /// <summary>The row of message <paramref name="sequence"/> of a thread.</summary>
    public static string ForMessage(string threadId, long sequence) => KeyEncoding.Compose(Message, threadId, Sequence(sequence));

    /// <summary>The prefix of every message row of a thread.</summary>
    public static string MessagesOf(string threadId) => KeyEncoding.Compose(Message, threadId, string.Empty);

    /// <summary>The index row of the archive segment of a thread whose last sequence number is <paramref name="lastSequence"/>.</summary>
    public static string ForSegment(string threadId, long lastSequence) => KeyEncoding.Compose(Segment, threadId, Sequence(lastSequence));

    /// <summary>The prefix of every archive segment index row of a thread.</summary>
    public static string SegmentsOf(string threadId) => KeyEncoding.Compose(Segment, threadId, string.Empty);

    /// <summary>The prefix of every archive segment index row (all threads): what the orphan check scans.</summary>
    public static string Segments => Segment + KeyEncoding.Separator;

    /// <summary>The row mapping a client message id to its sequence number.</summary>
    public static string ForMessageId(string threadId, string messageId) => KeyEncoding.Compose(MessageId, threadId, messageId);

    /// <summary>The summary row of a thread.</summary>
    public static string ForSummary(string threadId) => KeyEncoding.Compose(Summary, threadId);

    /// <summary>The creation row of a thread created at <paramref name="createdAt"/>; newer sorts first.</summary>
    public static string ForCreated(DateTimeOffset createdAt, string threadId) => KeyEncoding.Compose(Created, InvertedTicks(createdAt), threadId);

    /// <summary>The prefix of every creation row.</summary>
    public static string CreatedRows => Created + KeyEncoding.Separator;

    /// <summary>The prefix of every client message id row (all threads): what the orphan check and exports scan.</summary>
    public static string MessageIds => MessageId + KeyEncoding.Separator;

    /// <summary>The prefix of every message row (all threads).</summary>
    public static string Messages => Message + KeyEncoding.Separator;

    /// <summary>The row of one mission.</summary>
    public static string ForMission(string missionId) => KeyEncoding.Compose(Mission, missionId);

    /// <summary>The prefix of every mission row.</summary>
    public static string Missions => Mission + KeyEncoding.Separator;

    /// <summary>
    /// The id of a run (attempt) started at <paramref name="at"/>: <c>{invertedTicks}-{attemptId}</c>, the tail of its row key
    /// after the mission id. The API hands it out, so a run is found again with one point read, not a scan of the run log.
    /// </summary>
    public static string MissionRunId(DateTimeOffset at, string attemptId) => InvertedTicks(at) + "-" + attemptId;

    /// <summary>The row of run <paramref name="runId"/> of a mission; newer runs sort first. Null when <paramref name="runId"/> is not a run id.</summary>
    public static string? ForMissionRun(string missionId, string runId)
    {
        // 19 digits (InvertedTicks), '-', then an attempt id of 1 to 64 characters. Segments are encoded, so no input can reach another row kind.
        const int ticks = 19;
        if (runId.Length is < ticks + 2 or > ticks + 1 + 64 || runId[ticks] != '-' || runId.AsSpan(0, ticks).ContainsAnyExceptInRange('0', '9'))
        {
            return null;
        }

        return KeyEncoding.Compose(MissionRun, missionId, runId[..ticks], runId[(ticks + 1)..]);
    }

    /// <summary>The run id (<see cref="MissionRunId"/>) of a run row.</summary>
    public static string MissionRunIdOf(string runRowKey)
    {
        var segments = KeyEncoding.Split(runRowKey);
        return segments[2] + "-" + segments[3];
    }

    /// <summary>The prefix of every run row of a mission.</summary>
    public static string MissionRunsOf(string missionId) => KeyEncoding.Compose(MissionRun, missionId, string.Empty);

    /// <summary>The prefix of every run row of every mission (for erasure sweeps).</summary>
    public static string MissionRuns => MissionRun + KeyEncoding.Separator;

    /// <summary>The row of the user's legal hold, present while one is placed.</summary>
    public static string LegalHold => KeyEncoding.Compose(Lifecycle, "hold");

    /// <summary>The record of schema migration <paramref name="version"/> of row kind <paramref name="kind"/> for the user.</summary>
    public static string ForMigration(string kind, int version) =>
        KeyEncoding.Compose(Lifecycle, "migration", kind, version.ToString("D4", CultureInfo.InvariantCulture));

    /// <summary>The prefix of every migration record of the user.</summary>
    public static string Migrations => KeyEncoding.Compose(Lifecycle, "migration", string.Empty);

    /// <summary>The row of one artifact.</summary>
    public static string ForArtifact(string artifactId) => KeyEncoding.Compose(Artifact, artifactId);

    /// <summary>The first key of the artifacts' own rows (newest first); their index rows sort after <see cref="ArtifactsEnd"/>.</summary>
    public static string Artifacts => Artifact + KeyEncoding.Separator;

    /// <summary>The first key past the artifacts' own rows: where their index and reservation rows begin.</summary>
    public static string ArtifactsEnd => Artifacts + ArtifactIndexMark;

    /// <summary>The kind index copy of an artifact.</summary>
    public static string ForArtifactOfKind(string kind, string artifactId) => KeyEncoding.Compose(Artifact, ArtifactIndexMark + "kind", kind, artifactId);

    /// <summary>The prefix of the kind index copies of every artifact of <paramref name="kind"/> (newest first).</summary>
    public static string ArtifactsOfKind(string kind) => KeyEncoding.Compose(Artifact, ArtifactIndexMark + "kind", kind, string.Empty);

    /// <summary>The parent index copy of an artifact.</summary>
    public static string ForArtifactOfParent(string parent, string artifactId) => KeyEncoding.Compose(Artifact, ArtifactIndexMark + "parent", parent, artifactId);

    /// <summary>The prefix of the parent index copies of every artifact of <paramref name="parent"/> (newest first).</summary>
    public static string ArtifactsOfParent(string parent) => KeyEncoding.Compose(Artifact, ArtifactIndexMark + "parent", parent, string.Empty);

    /// <summary>The row holding the user's artifact uploads in flight (quota reservations).</summary>
    public static string ArtifactReservations => KeyEncoding.Compose(Artifact, ArtifactIndexMark + "quota");

    /// <summary>The row of one autosave slot.</summary>
    public static string ForAutosave(string slot) => KeyEncoding.Compose(Autosave, slot);

    /// <summary>The row of one integration.</summary>
    public static string ForIntegration(string provider) => KeyEncoding.Compose(Integration, provider);

    /// <summary>The prefix of every integration row.</summary>
    public static string Integrations => Integration + KeyEncoding.Separator;

    /// <summary>The row of a memory; <paramref name="namespacePath"/> is dot-separated (<c>prefs.ui</c>).</summary>
    public static string ForMemory(string scope, string namespacePath, string key) => KeyEncoding.Compose(Memory, scope, namespacePath + ".", key);

    /// <summary>The prefix of every memory of a scope in <paramref name="namespacePath"/> and the namespaces under it.</summary>
    public static string MemoriesUnder(string scope, string namespacePath) => KeyEncoding.Compose(Memory, scope, namespacePath.Length == 0 ? string.Empty : namespacePath + ".");

    /// <summary>The word-index row of <paramref name="word"/> for a memory.</summary>
    public static string ForMemoryWord(string scope, string word, string namespacePath, string key) => KeyEncoding.Compose(MemoryWord, scope, word, namespacePath + ".", key);

    /// <summary>The prefix of the word-index rows of <paramref name="word"/> in a scope, for memories in <paramref name="namespacePath"/> and under it.</summary>
    public static string MemoryWordsUnder(string scope, string word, string namespacePath) =>
        KeyEncoding.Compose(MemoryWord, scope, word, namespacePath.Length == 0 ? string.Empty : namespacePath + ".");

    /// <summary>The row of one run.</summary>
    public static string ForRun(string runId) => KeyEncoding.Compose(Run, runId, string.Empty);

    /// <summary>The prefix of a run list: <c>all</c>, or a filter (<c>kind</c>, <c>status</c>, <c>thread</c>) and its value.</summary>
    public static string RunListOf(string list, string? value) =>
        value is null ? KeyEncoding.Compose(RunList, list, string.Empty) : KeyEncoding.Compose(RunList, list, value, string.Empty);

    /// <summary>The row of a run created at <paramref name="createdAt"/> in a run list (see <see cref="RunListOf"/>).</summary>
    public static string ForRunList(string list, string? value, DateTimeOffset createdAt, string runId) =>
        RunListOf(list, value) + KeyEncoding.Compose(InvertedTicks(createdAt), runId);

    /// <summary>The run counters row.</summary>
    public static string RunCounts => KeyEncoding.Compose(RunStats, "counts");

    /// <summary>The row of an event at <paramref name="at"/>; newer sorts first.</summary>
    public static string ForEvent(DateTimeOffset at, string eventId) => KeyEncoding.Compose(Event, InvertedTicks(at), eventId);

    /// <summary>The first event row key at or before <paramref name="at"/> (events newer than it sort before).</summary>
    public static string EventsFrom(DateTimeOffset at) => KeyEncoding.Compose(Event, InvertedTicks(at), string.Empty);

    /// <summary>The prefix of every event row.</summary>
    public static string Events => Event + KeyEncoding.Separator;

    /// <summary>A UTC day as <c>yyyyMMdd</c>, the first segment of usage rows after the prefix.</summary>
    public static string Day(DateTimeOffset at) => at.UtcDateTime.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>The usage rollup row of a day: <c>total</c>, or a dimension (<c>model</c>, <c>type</c>) and its value.</summary>
    public static string ForUsage(string day, string dimension, string? value) =>
        value is null ? KeyEncoding.Compose(Usage, day, dimension) : KeyEncoding.Compose(Usage, day, dimension, value);

    /// <summary>The prefix of every usage row of a day.</summary>
    public static string UsageOf(string day) => KeyEncoding.Compose(Usage, day, string.Empty);

    /// <summary>The row of one record.</summary>
    public static string ForRecord(string collection, string id) => KeyEncoding.Compose(Record, collection, id);

    /// <summary>The prefix of every record of a collection, in id order.</summary>
    public static string RecordsOf(string collection) => KeyEncoding.Compose(Record, collection, string.Empty);

    /// <summary>The recency row of a record updated at <paramref name="updatedAt"/>.</summary>
    public static string ForRecordRecent(string collection, DateTimeOffset updatedAt, string id) => KeyEncoding.Compose(RecordRecent, collection, InvertedTicks(updatedAt), id);

    /// <summary>The prefix of a collection's recency rows.</summary>
    public static string RecordsByRecency(string collection) => KeyEncoding.Compose(RecordRecent, collection, string.Empty);

    /// <summary>The status row of a record.</summary>
    public static string ForRecordStatus(string collection, string status, DateTimeOffset updatedAt, string id) =>
        KeyEncoding.Compose(RecordStatus, collection, status, InvertedTicks(updatedAt), id);

    /// <summary>The prefix of a collection's status rows of <paramref name="status"/>.</summary>
    public static string RecordsWithStatus(string collection, string status) => KeyEncoding.Compose(RecordStatus, collection, status, string.Empty);

    /// <summary>The parent row of a record whose parent is <paramref name="parentId"/>.</summary>
    public static string ForRecordParent(string collection, string parentId, string id) => KeyEncoding.Compose(RecordParent, collection, parentId, id);

    /// <summary>The prefix of the parent rows of <paramref name="parentId"/>'s children.</summary>
    public static string ChildrenOf(string collection, string parentId) => KeyEncoding.Compose(RecordParent, collection, parentId, string.Empty);

    /// <summary>The quota counters of a collection.</summary>
    public static string ForRecordMeta(string collection) => KeyEncoding.Compose(RecordMeta, collection);

    /// <summary>The user's record totals (a name no collection can have).</summary>
    public static string RecordTotals => KeyEncoding.Compose(RecordMeta, "_all");

    /// <summary>The prefix of every record quota row.</summary>
    public static string RecordMetas => RecordMeta + KeyEncoding.Separator;

    /// <summary>The row holding the user's last report named <paramref name="name"/> (<c>usage</c>, <c>integrity</c>).</summary>
    public static string ForReport(string name) => KeyEncoding.Compose(Lifecycle, "report", name);

    /// <summary>The row of export or import job <paramref name="jobId"/>.</summary>
    public static string ForPortabilityJob(string jobId) => KeyEncoding.Compose(Portability, jobId, "job");

    /// <summary>The prefix of every export and import job row.</summary>
    public static string PortabilityJobs => Portability + KeyEncoding.Separator;

    /// <summary>A sequence number as fixed-width digits.</summary>
    public static string Sequence(long sequence) => sequence.ToString("D" + SequenceDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Starts the second segment of the artifact rows that are not artifacts; sorts after every artifact id (digits, '-', hex).</summary>
    private const string ArtifactIndexMark = "~";

    /// <summary>Ticks counted down from the largest value, fixed width, so that later times sort first.</summary>
    public static string InvertedTicks(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}
