using Serverless.Bundles;
using Serverless.Storage.Conversations;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;

namespace Serverless.Functions.Portability;

/// <summary>
/// Builds a user's export bundle in steps, each checkpointed in the job row: <c>conversations</c> (threads, their own
/// messages and summaries, one thread at a time), then each port's kind (<see cref="IBundleKindPort"/>: settings,
/// missions, …), each staged as NDJSON blobs under the job's folder (long texts and content as staged blob files), then
/// the bundle assembled from the staged parts into <c>bundle.zip</c>. A crash repeats only the step it was in. Memory
/// holds one page of messages and the thread ids, whatever the size.
/// </summary>
public sealed class BundleExporter(
    PortabilityJobStore jobs, ThreadStore threads, ConversationPort conversations, SummaryStore summaries, IEnumerable<IBundleKindPort> ports)
{
    private readonly IReadOnlyList<IBundleKindPort> ports = [.. ports];

    /// <summary>The kinds exported together, thread by thread, before the ports' kinds.</summary>
    public static IReadOnlyList<string> ConversationKinds { get; } = [BundleKinds.Thread, BundleKinds.Message, BundleKinds.Summary];

    /// <summary>The kinds an export writes, in bundle order (<see cref="PortableKinds"/> must name no other).</summary>
    public IReadOnlyList<string> Kinds => [.. ConversationKinds, .. ports.Select(p => p.Kind)];

    /// <summary>Runs (or resumes) an export job to its end; returns the finished job.</summary>
    public async Task<PortabilityJob> RunAsync(UserPartition user, PortabilityJob job, Azure.ETag etag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(job);
        job = job with { State = "running", Phase = "collecting" };
        etag = await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false);
        var progress = new Dictionary<string, long>(job.Progress);
        if (!job.Done.Contains("conversations"))
        {
            await ExportConversationsAsync(user, job, progress, cancellationToken).ConfigureAwait(false);
            (job, etag) = await CheckpointAsync(user, job with { Done = [.. job.Done, "conversations"], Progress = progress }, etag, cancellationToken).ConfigureAwait(false);
        }

        foreach (var port in ports.Where(p => !job.Done.Contains(p.Kind)))
        {
            var stream = await jobs.OpenWriteAsync(PartOf(user, job.Id, port.Kind), cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                var lines = new NdjsonLineWriter(stream);
                var export = new KindExport(jobs, user, job, lines);
                await port.ExportAsync(export, cancellationToken).ConfigureAwait(false);
                progress[port.Kind] = lines.Count;
                job = job with { SecretsLeftOut = (job.SecretsLeftOut ?? 0) + export.SecretsLeftOut };
            }

            (job, etag) = await CheckpointAsync(user, job with { Done = [.. job.Done, port.Kind], Progress = progress }, etag, cancellationToken).ConfigureAwait(false);
        }

        (job, etag) = await CheckpointAsync(user, job with { Phase = "assembling" }, etag, cancellationToken).ConfigureAwait(false);
        var bundle = PortabilityJobStore.BundleBlobOf(user, job.Id);
        var manifest = await AssembleAsync(user, job, bundle, cancellationToken).ConfigureAwait(false);
        (job, _) = await CheckpointAsync(user, job with
        {
            State = "done",
            Phase = "finished",
            BundleBlob = bundle,
            BundleBytes = await jobs.LengthAsync(bundle, cancellationToken).ConfigureAwait(false),
            Totals = manifest.Kinds.ToDictionary(k => k.Kind, k => k.Count),
        }, etag, cancellationToken).ConfigureAwait(false);
        await jobs.DeletePartsAsync(user, job.Id, cancellationToken).ConfigureAwait(false);
        return job;
    }

    private async Task ExportConversationsAsync(UserPartition user, PortabilityJob job, Dictionary<string, long> progress, CancellationToken cancellationToken)
    {
        var threadStream = await jobs.OpenWriteAsync(PartOf(user, job.Id, BundleKinds.Thread), cancellationToken).ConfigureAwait(false);
        var messageStream = await jobs.OpenWriteAsync(PartOf(user, job.Id, BundleKinds.Message), cancellationToken).ConfigureAwait(false);
        var summaryStream = await jobs.OpenWriteAsync(PartOf(user, job.Id, BundleKinds.Summary), cancellationToken).ConfigureAwait(false);
        await using (threadStream.ConfigureAwait(false))
        await using (messageStream.ConfigureAwait(false))
        await using (summaryStream.ConfigureAwait(false))
        {
            var threadLines = new NdjsonLineWriter(threadStream);
            var messageLines = new NdjsonLineWriter(messageStream);
            var summaryLines = new NdjsonLineWriter(summaryStream);
            var files = new KindExport(jobs, user, job, messageLines);
            foreach (var id in await conversations.ThreadOrderAsync(user, cancellationToken).ConfigureAwait(false))
            {
                // The thread row is read first: its next sequence number bounds the messages taken (no half batch).
                if (await threads.GetAsync(user, id, cancellationToken).ConfigureAwait(false) is not { } thread)
                {
                    continue;
                }

                await threadLines.WriteAsync(PortableLines.Thread(thread), cancellationToken).ConfigureAwait(false);
                await foreach (var m in conversations.OwnMessagesAsync(user, thread, cancellationToken).ConfigureAwait(false))
                {
                    var contentFile = await files.StageTextAsync(m.Content, cancellationToken).ConfigureAwait(false);
                    var toolCallsFile = await files.StageTextAsync(m.ToolCallsJson, cancellationToken).ConfigureAwait(false);
                    await messageLines.WriteAsync(PortableLines.Message(m, contentFile, toolCallsFile), cancellationToken).ConfigureAwait(false);
                }

                if (await summaries.GetAsync(user, id, cancellationToken).ConfigureAwait(false) is { } summary)
                {
                    await summaryLines.WriteAsync(PortableLines.Summary(summary), cancellationToken).ConfigureAwait(false);
                }
            }

            progress[BundleKinds.Thread] = threadLines.Count;
            progress[BundleKinds.Message] = messageLines.Count;
            progress[BundleKinds.Summary] = summaryLines.Count;
        }
    }

    private async Task<BundleManifest> AssembleAsync(UserPartition user, PortabilityJob job, string bundle, CancellationToken cancellationToken)
    {
        var output = await jobs.OpenWriteAsync(bundle, cancellationToken).ConfigureAwait(false);
        await using (output.ConfigureAwait(false))
        {
            await using var writer = await BundleWriter.CreateAsync(output, new BundleSource("serverless-backend", "1"), job.CreatedAt, cancellationToken).ConfigureAwait(false);
            foreach (var kind in Kinds)
            {
                var part = await jobs.OpenReadAsync(PartOf(user, job.Id, kind), cancellationToken).ConfigureAwait(false);
                await using (part.ConfigureAwait(false))
                {
                    await writer.AddKindAsync(kind, part, cancellationToken).ConfigureAwait(false);
                }
            }

            foreach (var name in await jobs.PartsAsync(user, job.Id, KindExport.BlobParts, cancellationToken).ConfigureAwait(false))
            {
                var content = await jobs.OpenReadAsync(name, cancellationToken).ConfigureAwait(false);
                await using (content.ConfigureAwait(false))
                {
                    await writer.AddBlobAsync(name[(name.LastIndexOf('.') + 1)..], content, cancellationToken).ConfigureAwait(false);
                }
            }

            return await writer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<(PortabilityJob, Azure.ETag)> CheckpointAsync(UserPartition user, PortabilityJob job, Azure.ETag etag, CancellationToken cancellationToken) =>
        (job, await jobs.SaveAsync(user, job, etag, cancellationToken).ConfigureAwait(false));

    private static string PartOf(UserPartition user, string jobId, string kind) => PortabilityJobStore.PartBlobOf(user, jobId, "kind." + kind + ".ndjson");
}
