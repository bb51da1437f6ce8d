using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>The bundle kinds of version 1 (docs/bundle-format.md, "Kinds").</summary>
public static class BundleKinds
{
    /// <summary>Threads: <see cref="ThreadLine"/>.</summary>
    public const string Thread = "thread";

    /// <summary>Messages: <see cref="MessageLine"/>.</summary>
    public const string Message = "message";

    /// <summary>Summaries: <see cref="SummaryLine"/>.</summary>
    public const string Summary = "summary";

    /// <summary>Settings: <see cref="SettingLine"/>.</summary>
    public const string Setting = "setting";

    /// <summary>Missions: <see cref="MissionLine"/>.</summary>
    public const string Mission = "mission";

    /// <summary>Memories (agent state): <see cref="MemoryLine"/>.</summary>
    public const string Memory = "memory";

    /// <summary>Runs: tool calls, automation runs, agent tasks: <see cref="RunLine"/>.</summary>
    public const string Run = "run";

    /// <summary>Events: analytics and usage events: <see cref="EventLine"/>.</summary>
    public const string Event = "event";

    /// <summary>Records: JSON documents in collections.</summary>
    public const string Record = "record";

    /// <summary>Artifacts: files with their content as blob files.</summary>
    public const string Artifact = "artifact";

    /// <summary>Integrations: provider configurations (secrets only under a user's passphrase).</summary>
    public const string Integration = "integration";
}

/// <summary>A line of <c>kinds/thread.ndjson</c>.</summary>
/// <param name="Id">The thread id.</param>
/// <param name="Title">The title.</param>
/// <param name="Metadata">Client metadata (a JSON object).</param>
/// <param name="Starred">Starred.</param>
/// <param name="Archived">Archived.</param>
/// <param name="CreatedAt">Created.</param>
/// <param name="UpdatedAt">Last changed (default: created).</param>
/// <param name="LastActivityAt">Last activity (default: created, or the last message's time if later).</param>
/// <param name="DeletedAt">Soft-deleted at, for a thread in the trash.</param>
/// <param name="ParentThreadId">The thread it forks.</param>
/// <param name="ForkSequence">The parent's last message it shows.</param>
/// <param name="NextSequence">The sequence number the next message gets (default: the last message's + 1).</param>
public sealed record ThreadLine(
    string Id,
    string? Title,
    JsonElement? Metadata,
    bool? Starred,
    bool? Archived,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt,
    DateTimeOffset? LastActivityAt,
    DateTimeOffset? DeletedAt,
    string? ParentThreadId,
    long? ForkSequence,
    long? NextSequence);

/// <summary>A line of <c>kinds/message.ndjson</c>: one of a thread's own messages.</summary>
/// <param name="ThreadId">Its thread.</param>
/// <param name="Sequence">Its sequence number.</param>
/// <param name="Id">The client message id.</param>
/// <param name="Role">system, user, assistant or tool.</param>
/// <param name="Content">The text, inline.</param>
/// <param name="ContentFile">The blob file holding the text (UTF-8), instead of <paramref name="Content"/>.</param>
/// <param name="ToolCalls">Tool calls (a JSON array or object), inline.</param>
/// <param name="ToolCallsFile">The blob file holding the tool calls' JSON text, instead of <paramref name="ToolCalls"/>.</param>
/// <param name="Model">The model.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="Metadata">Client metadata (a JSON object).</param>
/// <param name="CreatedAt">When it was appended.</param>
/// <param name="Redacted">Whether its content was redacted.</param>
public sealed record MessageLine(
    string ThreadId,
    long Sequence,
    string? Id,
    string Role,
    string? Content,
    string? ContentFile,
    JsonElement? ToolCalls,
    string? ToolCallsFile,
    string? Model,
    long? PromptTokens,
    long? CompletionTokens,
    double? Cost,
    JsonElement? Metadata,
    DateTimeOffset CreatedAt,
    bool? Redacted);

/// <summary>A line of <c>kinds/summary.ndjson</c>.</summary>
/// <param name="ThreadId">Its thread.</param>
/// <param name="Text">The summary.</param>
/// <param name="CoversSequence">The last sequence number it covers.</param>
/// <param name="UpdatedAt">When it was written.</param>
public sealed record SummaryLine(string ThreadId, string Text, long CoversSequence, DateTimeOffset UpdatedAt);

/// <summary>A line of <c>kinds/setting.ndjson</c>.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The value (any JSON).</param>
/// <param name="UpdatedAt">When it was written.</param>
public sealed record SettingLine(string Namespace, string Key, JsonElement Value, DateTimeOffset UpdatedAt);

/// <summary>A line of <c>kinds/mission.ndjson</c>: the definition, never the signing secret.</summary>
/// <param name="Id">The mission id.</param>
/// <param name="Name">Display name.</param>
/// <param name="Cron">NCRONTAB, or null for an interval.</param>
/// <param name="IntervalSeconds">Interval, or null for cron.</param>
/// <param name="TimeZone">IANA zone.</param>
/// <param name="Enabled">Enabled.</param>
/// <param name="StartAt">Start bound.</param>
/// <param name="EndAt">End bound.</param>
/// <param name="MissedRunPolicy"><c>skip</c>, <c>runOnce</c> or <c>catchUp</c>.</param>
/// <param name="MaxCatchUp">Catch-up count.</param>
/// <param name="Url">Target.</param>
/// <param name="Headers">Extra headers.</param>
/// <param name="Payload">JSON payload.</param>
/// <param name="CreatedAt">Created.</param>
/// <param name="UpdatedAt">Last changed.</param>
public sealed record MissionLine(
    string Id,
    string Name,
    string? Cron,
    long? IntervalSeconds,
    string TimeZone,
    bool Enabled,
    DateTimeOffset? StartAt,
    DateTimeOffset? EndAt,
    string MissedRunPolicy,
    int MaxCatchUp,
    string Url,
    Dictionary<string, string>? Headers,
    JsonElement? Payload,
    DateTimeOffset CreatedAt,
    DateTimeOffset? UpdatedAt);
