using System.Text.Json;
using Serverless.Bundles;
using Serverless.Functions.Conversations;
using Serverless.Storage.Conversations;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// The validation pass of an import: reads the whole bundle once, checking every line against its kind's rules (the
/// API's own validation), the references between lines (messages to threads, forks to parents, files to blobs) and
/// every blob's checksum, and learns each thread's facts and content hash; then each port's checks of its kind. Nothing is written; any failure is a
/// <see cref="BundleException"/> and the import stops before its first write.
/// </summary>
internal sealed class BundleValidation(BundleReader reader, ThreadStore threads, UserPartition user, IReadOnlyList<IBundleKindPort> ports)
{
    /// <summary>Longest text file: 1,000,000 characters of up to 4 bytes each.</summary>
    public const long MaxTextFileBytes = 4L * ConversationLimits.MaxContentChars;

    public Dictionary<string, ThreadPlan> Threads { get; } = new(StringComparer.Ordinal);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await reader.VerifyBlobsAsync(cancellationToken).ConfigureAwait(false);
        await ThreadsAsync(cancellationToken).ConfigureAwait(false);
        await MessagesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var plan in Threads.Values)
        {
            plan.Seal();
            if (plan.Line.NextSequence is { } next && next <= Math.Max(plan.LastSequence, plan.Line.ForkSequence ?? 0))
            {
                throw Invalid(BundleKinds.Thread, plan.Line.Id, "nextSequence must be above its last message's sequence and its fork sequence.");
            }
        }

        CheckForks();
        await SummariesAsync(cancellationToken).ConfigureAwait(false);
        var others = new KindValidation(reader, user, Threads.Keys.ToHashSet(StringComparer.Ordinal));
        foreach (var port in ports)
        {
            await port.ValidateAsync(others, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task ThreadsAsync(CancellationToken cancellationToken)
    {
        await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Thread, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<ThreadLine>(BundleKinds.Thread, raw);
            var errors = new Dictionary<string, string[]>();
            if (!ConversationValidation.IsThreadId(line.Id))
            {
                errors["id"] = ["id must be 1 to 64 of A-Z a-z 0-9 _ -."];
            }

            ConversationValidation.Text(errors, "title", line.Title, ConversationLimits.MaxTitleChars);
            ConversationValidation.Metadata(errors, "metadata", line.Metadata);
            if ((line.ParentThreadId is null) != (line.ForkSequence is null) || line.ForkSequence is < 0)
            {
                errors["forkSequence"] = ["parentThreadId and forkSequence (≥ 0) come together or not at all."];
            }

            var depth = 0;
            if (line.ParentThreadId is { } parent)
            {
                if (Threads.TryGetValue(parent, out var parentPlan))
                {
                    depth = parentPlan.Depth + 1;
                }
                else if (await threads.GetAsync(user, parent, cancellationToken).ConfigureAwait(false) is { } existing)
                {
                    depth = existing.Lineage.Ancestors.Count + 1;
                    if (line.ForkSequence >= existing.NextSequence)
                    {
                        errors["forkSequence"] = [$"forkSequence is beyond the last message of the existing thread {parent}."];
                    }
                }
                else
                {
                    errors["parentThreadId"] = [$"the parent thread {parent} must come earlier in the bundle or exist already."];
                }

                if (depth > ConversationLimits.MaxForkDepth)
                {
                    errors["parentThreadId"] = [$"a fork has at most {ConversationLimits.MaxForkDepth} ancestors."];
                }
            }

            if (Threads.ContainsKey(line.Id))
            {
                errors["id"] = ["the thread appears twice."];
            }

            if (errors.Count > 0)
            {
                throw Invalid(BundleKinds.Thread, raw.Number, errors);
            }

            Threads.Add(line.Id, new ThreadPlan(line, depth, ThreadPlan.LineHash(line)));
        }
    }

    private async Task MessagesAsync(CancellationToken cancellationToken)
    {
        ThreadPlan? current = null;
        var done = new HashSet<string>(StringComparer.Ordinal);
        var clientIds = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Message, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<MessageLine>(BundleKinds.Message, raw);
            if (current?.Line.Id != line.ThreadId)
            {
                if (!Threads.TryGetValue(line.ThreadId, out current) || !done.Add(line.ThreadId))
                {
                    throw Invalid(BundleKinds.Message, raw.Number, new() { ["threadId"] = ["the thread must be in the bundle's thread file, and its messages together in one run."] });
                }

                clientIds.Clear();
            }

            var (message, contentSha, toolCallsSha) = await ResolveAsync(line, raw.Number, cancellationToken).ConfigureAwait(false);
            var errors = new Dictionary<string, string[]>();
            if (line.Sequence <= Math.Max(current.LastSequence, current.Line.ForkSequence ?? 0) || (current.Line.NextSequence is { } next && line.Sequence >= next))
            {
                errors["sequence"] = ["sequence must increase within the thread, lie above its forkSequence and below its nextSequence."];
            }

            if (line.Id is { } clientId && !clientIds.Add(clientId))
            {
                errors["id"] = ["the message id appears twice in the thread."];
            }

            if (errors.Count > 0)
            {
                throw Invalid(BundleKinds.Message, raw.Number, errors);
            }

            current.Count++;
            current.LastSequence = line.Sequence;
            current.PromptTokens += message.PromptTokens ?? 0;
            current.CompletionTokens += message.CompletionTokens ?? 0;
            current.Cost += message.Cost ?? 0;
            current.LastMessageAt = line.CreatedAt;
            current.Messages.AppendData(PortableLines.Canonical(line with { ThreadId = string.Empty }, contentSha, toolCallsSha));
        }
    }

    /// <summary>Resolves a message line's texts (reading blob files) and checks it as an append would; also returns its texts' hashes.</summary>
    public async Task<(NewMessage Message, string? ContentSha, string? ToolCallsSha)> ResolveAsync(MessageLine line, long number, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if ((line.Content is not null && line.ContentFile is not null) || (line.ToolCalls is { ValueKind: not JsonValueKind.Null } && line.ToolCallsFile is not null))
        {
            errors["content"] = ["a text is inline or in a file, not both."];
        }

        var content = line.ContentFile is { } contentFile ? await TextFileAsync(contentFile, number, cancellationToken).ConfigureAwait(false) : line.Content;
        JsonElement? toolCalls = line.ToolCalls;
        string? toolCallsText = null;
        if (line.ToolCallsFile is { } toolCallsFile)
        {
            toolCallsText = await TextFileAsync(toolCallsFile, number, cancellationToken).ConfigureAwait(false);
            try
            {
                using var document = JsonDocument.Parse(toolCallsText);
                toolCalls = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                errors["toolCallsFile"] = ["the file must hold JSON."];
            }
        }

        var redacted = line.Redacted ?? false;
        if (redacted && (content is not null || toolCalls is { ValueKind: not JsonValueKind.Null }))
        {
            errors["redacted"] = ["a redacted message has no content and no tool calls."];
        }

        // A redacted message has no text, which an append refuses: check the rest with a stand-in.
        var write = new MessageWrite(line.Id, line.Role, redacted ? "-" : content, toolCalls, line.Model, line.PromptTokens, line.CompletionTokens, line.Cost, line.Metadata);
        var message = ConversationValidation.Message(errors, string.Empty, write);
        if (errors.Count > 0 || message is null)
        {
            throw Invalid(BundleKinds.Message, number, errors);
        }

        message = message with { Content = content, ToolCallsJson = toolCallsText ?? message.ToolCallsJson };
        if (redacted)
        {
            message = message with { Content = null, ToolCallsJson = null };
        }

        var contentSha = line.ContentFile is { } f ? f[BundleFormat.BlobsFolder.Length..] : PortableLines.ShaOf(content);
        var toolCallsSha = line.ToolCallsFile is { } t ? t[BundleFormat.BlobsFolder.Length..] : PortableLines.ShaOf(redacted ? null : toolCalls);
        return (message, contentSha, toolCallsSha);
    }

    private async Task<string> TextFileAsync(string file, long number, CancellationToken cancellationToken)
    {
        if (!reader.HasBlob(file))
        {
            throw new BundleException(BundleErrors.MissingEntry, $"{BundleFormat.KindFile(BundleKinds.Message)} line {number} references {file}, which the bundle does not list.");
        }

        try
        {
            return PortableLines.Text(await reader.ReadBlobAsync(file, MaxTextFileBytes, cancellationToken).ConfigureAwait(false));
        }
        catch (System.Text.DecoderFallbackException e)
        {
            throw new BundleException(BundleErrors.Line, $"{file} (line {number}) is not UTF-8 text.", e);
        }
    }

    private void CheckForks()
    {
        foreach (var plan in Threads.Values.Where(p => p.Line.ParentThreadId is not null))
        {
            if (Threads.TryGetValue(plan.Line.ParentThreadId!, out var parent) && plan.Line.ForkSequence >= parent.NextSequence)
            {
                throw Invalid(BundleKinds.Thread, plan.Line.Id, $"forkSequence is beyond the last message of its parent {parent.Line.Id}.");
            }
        }
    }

    private async Task SummariesAsync(CancellationToken cancellationToken)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Summary, cancellationToken).ConfigureAwait(false))
        {
            var line = BundleReader.Parse<SummaryLine>(BundleKinds.Summary, raw);
            var errors = new Dictionary<string, string[]>();
            ConversationValidation.Text(errors, "text", line.Text, ConversationLimits.MaxSummaryChars);
            if (!Threads.TryGetValue(line.ThreadId, out var plan) || !seen.Add(line.ThreadId))
            {
                errors["threadId"] = ["the thread must be in the bundle's thread file, with one summary at most."];
            }
            else if (line.CoversSequence < 0 || line.CoversSequence >= plan.NextSequence)
            {
                errors["coversSequence"] = ["coversSequence must be from 0 to the thread's last sequence number."];
            }

            if (errors.Count > 0)
            {
                throw Invalid(BundleKinds.Summary, raw.Number, errors);
            }
        }
    }

    private static BundleException Invalid(string kind, long number, Dictionary<string, string[]> errors) => KindValidation.Invalid(kind, number, errors);

    private static BundleException Invalid(string kind, string id, string reason) =>
        new(BundleErrors.Line, $"{BundleFormat.KindFile(kind)}: {id}: {reason}");
}
