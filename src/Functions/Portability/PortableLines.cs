using System.Text;
using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.Api;
using Serverless.Functions.Conversations;
using Serverless.Functions.Missions;
using Serverless.Storage.Conversations;
using Serverless.Storage.Events;
using Serverless.Storage.Memories;
using Serverless.Storage.Missions;
using Serverless.Storage.Runs;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// Stored resources as bundle lines (the API's shapes, docs/bundle-format.md), and the canonical form two lines are
/// compared in: an import finds a resource equal to the bundle's by comparing these, whoever wrote the bundle.
/// </summary>
public static class PortableLines
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Stored JSON for a line: what no longer parses travels as null (<see cref="StoredJson"/>'s rule for reads).</summary>
    private static JsonElement? Parse(string? json) => StoredJson.TryParse(json, out var value) ? value : null;

    /// <summary>A thread's line.</summary>
    public static ThreadLine Thread(ThreadRecord t)
    {
        ArgumentNullException.ThrowIfNull(t);
        return new(t.Id, t.Title, Parse(t.MetadataJson), t.Starred, t.Archived, t.CreatedAt, t.UpdatedAt, t.LastActivityAt, t.DeletedAt,
            t.Lineage.Parent?.ThreadId, t.Lineage.Parent?.LastSequence, t.NextSequence);
    }

    /// <summary>A message's line; <paramref name="contentFile"/> and <paramref name="toolCallsFile"/> replace the texts when they went to blob files.</summary>
    public static MessageLine Message(MessageRecord m, string? contentFile, string? toolCallsFile)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.ThreadId, m.Sequence, m.ClientMessageId, m.Role, contentFile is null ? m.Content : null, contentFile,
            toolCallsFile is null ? Parse(m.ToolCallsJson) : null, toolCallsFile, m.Model, m.PromptTokens, m.CompletionTokens, m.Cost,
            Parse(m.MetadataJson), m.CreatedAt, m.Redacted);
    }

    /// <summary>A summary's line.</summary>
    public static SummaryLine Summary(SummaryRecord s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.ThreadId, s.Text, s.CoversSequence, s.UpdatedAt);
    }

    /// <summary>A setting's line.</summary>
    public static SettingLine Setting(SettingRecord s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Namespace, s.Key, Parse(s.ValueJson) ?? default, s.UpdatedAt);
    }

    /// <summary>A mission's line: its definition and times, never its secret.</summary>
    public static MissionLine Mission(MissionRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var v = MissionView.From(record, signingError: null);
        return new(v.Id, v.Name, v.Cron, v.IntervalSeconds, v.TimeZone, v.Enabled, v.StartAt, v.EndAt, v.MissedRunPolicy, v.MaxCatchUp, v.Url, v.Headers, v.Payload,
            v.CreatedAt, v.UpdatedAt);
    }

    /// <summary>A memory's line.</summary>
    public static MemoryLine Memory(MemoryRecord m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new(m.Scope, m.Namespace, m.Key, Parse(m.Write.ValueJson) ?? default, m.CreatedAt, m.Write.Tags, m.Write.SourceThreadId, m.Write.SourceMessageSequence, m.UpdatedAt);
    }

    /// <summary>A run's line; the <c>…File</c> arguments replace the texts that went to blob files.</summary>
    public static RunLine Run(RunRecord r, string? inputFile, string? outputFile, string? errorFile)
    {
        ArgumentNullException.ThrowIfNull(r);
        return new(r.Id, r.Kind, r.Name, r.Status, r.CreatedAt, r.ThreadId, r.MessageSequence, r.ParentRunId, r.MissionId,
            inputFile is null ? Parse(r.InputJson) : null, inputFile, outputFile is null ? Parse(r.OutputJson) : null, outputFile,
            errorFile is null ? Parse(r.ErrorJson) : null, errorFile, r.Model, r.PromptTokens, r.CompletionTokens, r.Cost, Parse(r.MetadataJson),
            r.UpdatedAt, r.StartedAt, r.EndedAt);
    }

    /// <summary>An event's line, with the time the server first stored it.</summary>
    public static EventLine Event(EventRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var e = r.Event;
        return new(e.Id, e.Type, e.Time, Parse(e.PropertiesJson), e.Model, e.PromptTokens, e.CompletionTokens, e.Cost, e.DurationMs, e.ThreadId, r.ReceivedAt);
    }

    /// <summary>The canonical bytes of a message line: texts replaced by their SHA-256, so inline and file forms compare equal.</summary>
    public static byte[] Canonical(MessageLine line, string? contentSha, string? toolCallsSha)
    {
        ArgumentNullException.ThrowIfNull(line);
        return JsonSerializer.SerializeToUtf8Bytes(
            line with { Content = null, ContentFile = contentSha, ToolCalls = null, ToolCallsFile = toolCallsSha, Redacted = line.Redacted ?? false },
            BundleManifest.JsonOptions);
    }

    /// <summary>The SHA-256 of a text as UTF-8, or null.</summary>
    public static string? ShaOf(string? text) => text is null ? null : BundleFormat.Sha256Hex(Encoding.UTF8.GetBytes(text));

    /// <summary>The SHA-256 of tool calls' JSON text in the compact form the bundle carries, or null.</summary>
    public static string? ShaOf(JsonElement? json) =>
        json is { ValueKind: not JsonValueKind.Null } value ? BundleFormat.Sha256Hex(JsonSerializer.SerializeToUtf8Bytes(value)) : null;

    /// <summary>Whether a stored resource's line equals a bundle's line (their canonical JSON).</summary>
    public static bool Same<T>(T stored, T line) =>
        JsonSerializer.Serialize(stored, BundleManifest.JsonOptions) == JsonSerializer.Serialize(line, BundleManifest.JsonOptions);

    /// <summary>
    /// The id a copy gets under <c>keepBoth</c>: the id cut to 55 characters, '-', 8 hex digits of the content hash
    /// (the same for the same content, so a second import finds it).
    /// </summary>
    public static string KeepBothId(string id, string hash)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(hash);
        return (id.Length > 55 ? id[..55] : id) + "-" + hash[..8];
    }

    /// <summary>Decodes a blob file's text, refusing bytes that are not UTF-8.</summary>
    public static string Text(byte[] bytes) => StrictUtf8.GetString(bytes);
}
