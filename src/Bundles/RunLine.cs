using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/run.ndjson</c>: one run (a tool call, an automation run, an agent task) with its status as it
/// is. Members after <paramref name="CreatedAt"/> are optional. Input, output and error are JSON inline, or the blob
/// file holding their JSON text (UTF-8) when it is longer than <see cref="BundleFormat.InlineTextChars"/>, never both.
/// </summary>
/// <param name="Id">The run id.</param>
/// <param name="Kind">What kind of run, e.g. <c>tool</c>.</param>
/// <param name="Name">The tool, automation or task name.</param>
/// <param name="Status">queued, running, succeeded, failed or cancelled.</param>
/// <param name="CreatedAt">When it was created.</param>
/// <param name="ThreadId">Its thread.</param>
/// <param name="MessageSequence">Its message.</param>
/// <param name="ParentRunId">The run that started it.</param>
/// <param name="MissionId">The mission that fired it.</param>
/// <param name="Input">Its input, inline.</param>
/// <param name="InputFile">The blob file holding its input, instead of <paramref name="Input"/>.</param>
/// <param name="Output">Its output, inline.</param>
/// <param name="OutputFile">The blob file holding its output, instead of <paramref name="Output"/>.</param>
/// <param name="Error">Its error, inline.</param>
/// <param name="ErrorFile">The blob file holding its error, instead of <paramref name="Error"/>.</param>
/// <param name="Model">The model it used.</param>
/// <param name="PromptTokens">Prompt tokens.</param>
/// <param name="CompletionTokens">Completion tokens.</param>
/// <param name="Cost">Cost.</param>
/// <param name="Metadata">Client metadata (a JSON object).</param>
/// <param name="UpdatedAt">When it last changed (default: <paramref name="CreatedAt"/>).</param>
/// <param name="StartedAt">When it started.</param>
/// <param name="EndedAt">When it ended.</param>
public sealed record RunLine(
    string Id,
    string Kind,
    string Name,
    string Status,
    DateTimeOffset CreatedAt,
    string? ThreadId = null,
    long? MessageSequence = null,
    string? ParentRunId = null,
    string? MissionId = null,
    JsonElement? Input = null,
    string? InputFile = null,
    JsonElement? Output = null,
    string? OutputFile = null,
    JsonElement? Error = null,
    string? ErrorFile = null,
    string? Model = null,
    long? PromptTokens = null,
    long? CompletionTokens = null,
    double? Cost = null,
    JsonElement? Metadata = null,
    DateTimeOffset? UpdatedAt = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? EndedAt = null);
