using System.Security.Cryptography;
using System.Text.Json;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Bundles;
using Serverless.Storage.Conversations;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// Runs (or resumes) an import job: the validation pass over the whole bundle (<see cref="BundleValidation"/>, nothing
/// written), then one writing pass per kind, each checkpointed in the job row: messages (a thread's rows, invisible
/// until its row exists), threads (each thread and its list rows in one transaction: a thread appears whole), summaries,
/// then each port's kind (<see cref="IBundleKindPort"/>: settings, missions, …). Ids and times are kept; a resource
/// equal to the bundle's is skipped under every policy, so a second import of the same bundle changes nothing.
/// </summary>
public sealed class BundleImporter(
    PortabilityJobStore jobs, ThreadStore threads, ConversationPort conversations, SummaryStore summaries, IEnumerable<IBundleKindPort> ports,
    IOptions<PortabilityOptions> options)
{
    private readonly ThreadStore threads = threads;
    private readonly ConversationPort conversations = conversations;
    private readonly SummaryStore summaries = summaries;
    private readonly IReadOnlyList<IBundleKindPort> ports = [.. ports];

    /// <summary>The kinds an import reads, in the order it writes them (<see cref="PortableKinds"/> must name no other).</summary>
    public IReadOnlyList<string> Kinds => [.. BundleExporter.ConversationKinds, .. ports.Select(p => p.Kind)];

    /// <summary>Messages written per transaction: with their client-id rows, within the 100 operations of one.</summary>
    private const int MessagesPerBatch = 48;

    /// <summary>Runs the job to its end; returns it finished (done, or failed with the bundle's fault).</summary>
    public async Task<PortabilityJob> RunAsync(UserPartition user, PortabilityJob job, ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        job = job with { State = "running", Phase = "validating" };
        etag = await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
        var limits = BundleLimits.Default with { MaxUncompressedBytes = options.Value.MaxUncompressedBytes };
        var stream = await jobs.OpenReadAsync(job.BundleBlob!, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            BundleReader reader;
            BundleValidation validation;
            try
            {
                reader = await BundleReader.OpenAsync(stream, Kinds.ToHashSet(StringComparer.Ordinal), limits, cancellationToken).ConfigureAwait(false);
                validation = new BundleValidation(reader, threads, user, ports);
                await validation.RunAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (BundleException e)
            {
                job = job with { State = "failed", Phase = "finished", ErrorCode = e.Code, Error = e.Message };
                await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
                return job;
            }

            await using (reader.ConfigureAwait(false))
            {
                var report = new ImportReport(Kinds, job.Report);
                job = job with { Phase = "writing", Totals = reader.Manifest.Kinds.ToDictionary(k => k.Kind, k => k.Count), Report = report.Snapshot() };
                etag = await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
                var run = new ImportRun(this, user, reader, validation, job.Conflict ?? "skip", report);
                var passes = new List<(string Kind, Func<CancellationToken, Task> Write)>
                {
                    (BundleKinds.Message, run.MessagesAsync),
                    (BundleKinds.Thread, run.ThreadsAsync),
                    (BundleKinds.Summary, run.SummariesAsync),
                };
                var portProgress = new Dictionary<string, long>();
                var portImport = new KindImport(user, job, reader, job.Conflict ?? "skip", report, portProgress);
                passes.AddRange(ports.Select(p => (p.Kind, (Func<CancellationToken, Task>)(token => p.ImportAsync(portImport, token)))));
                foreach (var (pass, write) in passes)
                {
                    if (job.Done.Contains(pass))
                    {
                        continue;
                    }

                    await write(cancellationToken).ConfigureAwait(false);
                    job = job with { Done = [.. job.Done, pass], Report = report.Snapshot(), Progress = run.Progress.Concat(portProgress).ToDictionary() };
                    etag = await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
                }

                job = job with { State = "done", Phase = "finished" };
                await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
                return job;
            }
        }
    }

    /// <summary>One run of the writing passes over a validated bundle.</summary>
    private sealed class ImportRun(BundleImporter owner, UserPartition user, BundleReader reader, BundleValidation validation, string conflict, ImportReport report)
    {
        private readonly Dictionary<string, long> progress = [];

        public IReadOnlyDictionary<string, long> Progress => progress;

        public async Task MessagesAsync(CancellationToken cancellationToken)
        {
            var batch = new List<ImportedMessage>(MessagesPerBatch);
            ThreadPlan? current = null;
            await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Message, cancellationToken).ConfigureAwait(false))
            {
                var line = BundleReader.Parse<MessageLine>(BundleKinds.Message, raw);
                if (current?.Line.Id != line.ThreadId)
                {
                    await FlushAsync(current, batch, cancellationToken).ConfigureAwait(false);
                    current = validation.Threads[line.ThreadId];
                    await DecideAsync(current, cancellationToken).ConfigureAwait(false);
                    if (current.Decision == ThreadDecision.Overwrite && !current.Cleared)
                    {
                        try
                        {
                            await owner.conversations.ClearOwnMessagesAsync(user, current.Existing!, cancellationToken).ConfigureAwait(false);
                            current.Cleared = true;
                        }
                        catch (InvalidOperationException e)
                        {
                            current.Decision = ThreadDecision.Fail;
                            current.FailReason = e.Message;
                        }
                    }
                }

                if (current.Writes)
                {
                    var (message, _, _) = await validation.ResolveAsync(line, raw.Number, cancellationToken).ConfigureAwait(false);
                    batch.Add(new ImportedMessage(line.Sequence, message, line.CreatedAt, line.Redacted ?? false));
                    if (batch.Count == MessagesPerBatch)
                    {
                        await FlushAsync(current, batch, cancellationToken).ConfigureAwait(false);
                    }
                }

                progress[BundleKinds.Message] = raw.Number;
            }

            await FlushAsync(current, batch, cancellationToken).ConfigureAwait(false);
        }

        public async Task ThreadsAsync(CancellationToken cancellationToken)
        {
            await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Thread, cancellationToken).ConfigureAwait(false))
            {
                var plan = validation.Threads[BundleReader.Parse<ThreadLine>(BundleKinds.Thread, raw).Id];
                await DecideAsync(plan, cancellationToken).ConfigureAwait(false);
                if (plan.Writes && await LineageAsync(plan, cancellationToken).ConfigureAwait(false) is { } lineage)
                {
                    var l = plan.Line;
                    var record = new ThreadRecord(plan.FinalId, l.Title, l.Metadata is { ValueKind: JsonValueKind.Object } m ? m.GetRawText() : null, l.Starred ?? false, l.Archived ?? false,
                        l.CreatedAt, plan.UpdatedAt, plan.LastActivityAt, l.DeletedAt, plan.Count, plan.NextSequence, plan.PromptTokens, plan.CompletionTokens, plan.Cost, 0, lineage, default);
                    await owner.conversations.CommitThreadAsync(user, record, plan.Decision == ThreadDecision.Overwrite ? plan.Existing : null, cancellationToken).ConfigureAwait(false);
                    report.Imported(BundleKinds.Thread);
                    report.Imported(BundleKinds.Message, plan.Count);
                    if (plan.Decision == ThreadDecision.KeepBoth)
                    {
                        report.Note(BundleKinds.Thread, l.Id, $"imported as {plan.FinalId}: a different thread has its id.");
                    }
                }
                else if (plan.Decision == ThreadDecision.Fail)
                {
                    report.Failed(BundleKinds.Thread, plan.Line.Id, plan.FailReason ?? "refused");
                    report.Failed(BundleKinds.Message, plan.Line.Id, "its thread was not imported", plan.Count);
                }
                else
                {
                    report.Skipped(BundleKinds.Thread);
                    report.Skipped(BundleKinds.Message, plan.Count);
                }

                progress[BundleKinds.Thread] = raw.Number;
            }
        }

        public async Task SummariesAsync(CancellationToken cancellationToken)
        {
            await foreach (var raw in reader.ReadLinesAsync(BundleKinds.Summary, cancellationToken).ConfigureAwait(false))
            {
                var line = BundleReader.Parse<SummaryLine>(BundleKinds.Summary, raw);
                var plan = validation.Threads[line.ThreadId];
                await DecideAsync(plan, cancellationToken).ConfigureAwait(false);
                var existing = plan.Decision == ThreadDecision.Fail ? null : await owner.summaries.GetAsync(user, plan.FinalId, cancellationToken).ConfigureAwait(false);

                // A summary follows its thread; on a thread equal to the bundle's (also one an interrupted run of this import wrote) it is a resource of its own.
                if (existing is not null && PortableLines.Same(PortableLines.Summary(existing), line))
                {
                    report.Skipped(BundleKinds.Summary);
                }
                else if (plan.Writes || (plan.Decision == ThreadDecision.Equal && (existing is null || conflict == "overwrite")))
                {
                    await owner.summaries.ImportAsync(user, plan.FinalId, line.Text, line.CoversSequence, line.UpdatedAt, cancellationToken).ConfigureAwait(false);
                    report.Imported(BundleKinds.Summary);
                }
                else if (plan.Decision == ThreadDecision.Fail)
                {
                    report.Failed(BundleKinds.Summary, line.ThreadId, "its thread was not imported");
                }
                else
                {
                    report.Skipped(BundleKinds.Summary);
                }

                progress[BundleKinds.Summary] = raw.Number;
            }
        }

        private async Task FlushAsync(ThreadPlan? plan, List<ImportedMessage> batch, CancellationToken cancellationToken)
        {
            if (plan is not null && batch.Count > 0 && plan.Writes)
            {
                await owner.conversations.WriteMessagesAsync(user, plan.FinalId, batch, cancellationToken).ConfigureAwait(false);
            }

            batch.Clear();
        }

        /// <summary>Decides what to do with a thread once: import, overwrite, keep both, skip (equal, or the policy) or fail.</summary>
        private async Task DecideAsync(ThreadPlan plan, CancellationToken cancellationToken)
        {
            if (plan.Decision is not null)
            {
                return;
            }

            var existing = await owner.threads.GetAsync(user, plan.Line.Id, cancellationToken).ConfigureAwait(false);
            if (existing is null)
            {
                plan.Decision = ThreadDecision.Import;
                return;
            }

            if (await HashOfAsync(existing, cancellationToken).ConfigureAwait(false) == plan.Hash)
            {
                plan.Decision = ThreadDecision.Equal;
                return;
            }

            switch (conflict)
            {
                case "overwrite" when existing.PurgedAt is not null:
                    plan.Decision = ThreadDecision.Fail;
                    plan.FailReason = "the thread with its id is being purged by retention.";
                    break;
                case "overwrite":
                    plan.Decision = ThreadDecision.Overwrite;
                    plan.Existing = existing;
                    break;
                case "keepBoth":
                    plan.FinalId = PortableLines.KeepBothId(plan.Line.Id, plan.Hash);
                    var copy = await owner.threads.GetAsync(user, plan.FinalId, cancellationToken).ConfigureAwait(false);
                    plan.Decision = copy is null ? ThreadDecision.KeepBoth
                        : await HashOfAsync(copy, cancellationToken).ConfigureAwait(false) == plan.Hash ? ThreadDecision.Equal : ThreadDecision.Fail;
                    plan.FailReason = $"{plan.FinalId} exists with other content.";
                    break;
                default:
                    plan.Decision = ThreadDecision.Skip;
                    break;
            }
        }

        /// <summary>The lineage of a fork: its parent (imported under its final id, or the one there) and the parent's own lineage.</summary>
        private async Task<ThreadLineage?> LineageAsync(ThreadPlan plan, CancellationToken cancellationToken)
        {
            if (plan.Line.ParentThreadId is not { } parentId)
            {
                return ThreadLineage.None;
            }

            var parentFinal = validation.Threads.TryGetValue(parentId, out var parentPlan) ? parentPlan.FinalId : parentId;
            if (parentPlan?.Decision == ThreadDecision.Fail || await owner.threads.GetAsync(user, parentFinal, cancellationToken).ConfigureAwait(false) is not { } parent)
            {
                plan.Decision = ThreadDecision.Fail;
                plan.FailReason = $"its parent {parentId} was not imported.";
                return null;
            }

            return parent.Lineage.ForkAt(parent.Id, plan.Line.ForkSequence!.Value);
        }

        /// <summary>The content hash of a stored thread, as <see cref="ThreadPlan"/> computes it for a bundle's.</summary>
        private async Task<string> HashOfAsync(ThreadRecord thread, CancellationToken cancellationToken)
        {
            using var messages = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await foreach (var m in owner.conversations.OwnMessagesAsync(user, thread, cancellationToken).ConfigureAwait(false))
            {
                var line = PortableLines.Message(m, null, null) with { ThreadId = string.Empty };
                var toolCallsSha = m.ToolCallsJson is { Length: > BundleFormat.InlineTextChars } ? PortableLines.ShaOf(m.ToolCallsJson) : PortableLines.ShaOf(line.ToolCalls);
                messages.AppendData(PortableLines.Canonical(line, PortableLines.ShaOf(m.Content), toolCallsSha));
            }

            return ThreadPlan.ContentHash(ThreadPlan.LineHash(PortableLines.Thread(thread)), thread.UpdatedAt, thread.LastActivityAt, thread.NextSequence, messages.GetHashAndReset());
        }

    }
}
