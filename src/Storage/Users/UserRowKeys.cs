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

    /// <summary>Prefix of export and import jobs: <c>port|{jobId}</c>, each naming the bundle blobs under <c>{userKey}/port/{jobId}/</c>.</summary>
    public const string Portability = "port";

    /// <summary>Digits of a zero-padded sequence number; sorts numerically as text up to 9,999,999,999.</summary>
    public const int SequenceDigits = 10;

    /// <summary>The row of one setting.</summary>
    public static string ForSetting(string settingNamespace, string key) => KeyEncoding.Compose(Setting, settingNamespace, key);

    /// <summary>The prefix shared by every setting of a namespace (ends with the separator, so "ab" never matches "abc").</summary>
    public static string SettingsOf(string settingNamespace) => KeyEncoding.Compose(Setting, settingNamespace, string.Empty);

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

    /// <summary>The row holding the user's last report named <paramref name="name"/> (<c>usage</c>, <c>integrity</c>).</summary>
    public static string ForReport(string name) => KeyEncoding.Compose(Lifecycle, "report", name);

    /// <summary>The row of export or import job <paramref name="jobId"/>.</summary>
    public static string ForPortabilityJob(string jobId) => KeyEncoding.Compose(Portability, jobId);

    /// <summary>The prefix of every export and import job row.</summary>
    public static string PortabilityJobs => Portability + KeyEncoding.Separator;

    /// <summary>A sequence number as fixed-width digits.</summary>
    public static string Sequence(long sequence) => sequence.ToString("D" + SequenceDigits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    /// <summary>Ticks counted down from the largest value, fixed width, so that later times sort first.</summary>
    public static string InvertedTicks(DateTimeOffset at) => (DateTimeOffset.MaxValue.UtcTicks - at.UtcTicks).ToString("D19", CultureInfo.InvariantCulture);
}
