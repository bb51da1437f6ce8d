using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Serverless.Storage.Conversations;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// Checks one user's data for what must never be (see <see cref="IntegrityProblem.Code"/>), and repairs what can be
/// repaired safely: stale or missing thread list rows, thread counters, orphan blobs (through <see cref="OrphanSweep"/>,
/// which re-checks before it deletes). It also schedules retention for everything the registry says can expire
/// (deleted threads, run logs of missions that are gone, idempotency records), which makes data written before the
/// expiry index existed purgeable (run logs of a deleted mission are not a problem: they wait for that purge). Dangling references and segment mismatches are
/// reported for a person: no repair can bring back lost content.
/// </summary>
/// <remarks>
/// Cost: one projected scan per kind of row and one listing of the user's blobs. The check reads a moment's
/// snapshot: a write racing it can look like a problem (a blob uploaded before its row commits is young, so never an
/// orphan; list rows are moved in the same transaction as their thread), so check again before acting by hand.
/// </remarks>
public sealed class IntegrityChecks(LifecycleStorage storage, ExpiryIndex expiry, TimeSpan orphanGrace)
{
    /// <summary>Checks the user's data; changes nothing.</summary>
    public Task<IntegrityReport> CheckAsync(UserPartition user, CancellationToken cancellationToken) => RunAsync(user, repair: false, cancellationToken);

    /// <summary>Checks the user's data, then repairs what can be repaired safely.</summary>
    public Task<IntegrityReport> RepairAsync(UserPartition user, CancellationToken cancellationToken) => RunAsync(user, repair: true, cancellationToken);

    private async Task<IntegrityReport> RunAsync(UserPartition user, bool repair, CancellationToken cancellationToken)
    {
        var now = expiry.Time.GetUtcNow();
        var data = await UserSnapshot.ReadAsync(storage, user, cancellationToken).ConfigureAwait(false);
        var problems = new List<IntegrityProblem>();
        var repairs = new List<string>();
        var fixes = new List<Func<Task>>();

        CheckReferences(user, data, now, problems);
        foreach (var thread in data.Threads.Values)
        {
            CheckThread(user, data, thread, problems, fixes, repairs);
        }

        CheckListRows(user, data, problems, fixes, repairs);
        CheckOwners(data, problems);

        if (repair)
        {
            foreach (var fix in fixes)
            {
                await fix().ConfigureAwait(false);
            }

            var scheduled = await new ExpiryBackfill(storage, expiry).RunAsync(user, cancellationToken).ConfigureAwait(false);
            repairs.Add($"scheduled retention for {scheduled.DeletedThreads} deleted thread(s), {scheduled.RunLogs} run log(s) of missions that are gone and {scheduled.IdempotencyHours} hour(s) of idempotency records");
            if (problems.Any(p => p.Code == "orphan_blob"))
            {
                var swept = await new OrphanSweep(storage, expiry.Time).RunUserAsync(user, orphanGrace, dryRun: false, cancellationToken).ConfigureAwait(false);
                repairs.Add($"deleted {swept.Orphans.Count} orphan blob(s) after re-checking their folders");
            }
        }

        return new IntegrityReport(now, problems, repairs);

        async Task SubmitAsync(IReadOnlyList<TableTransactionAction> actions, string done)
        {
            try
            {
                await storage.Users.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
                repairs.Add(done);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                repairs.Add($"skipped (changed meanwhile; check again): {done}");
            }
        }

        void CheckThread(UserPartition user, UserSnapshot data, ThreadRecord t, List<IntegrityProblem> problems, List<Func<Task>> fixes, List<string> repairs)
        {
            if (t.PurgedAt is not null)
            {
                // Partly purged: what forks do not read is gone on purpose, so counters and segments no longer add up.
                return;
            }

            var rows = data.MessageSequences.GetValueOrDefault(t.Id) ?? [];
            var segments = (data.Segments.GetValueOrDefault(t.Id) ?? []).OrderBy(s => s.Last).ToList();
            var expectedFirst = t.Lineage.FirstOwnSequence;
            foreach (var segment in segments)
            {
                if (segment.First != expectedFirst || segment.Last < segment.First)
                {
                    problems.Add(new("segment_mismatch", UserRowKeys.ForSegment(t.Id, segment.Last), $"covers {segment.First}..{segment.Last}, expected to start at {expectedFirst}", false));
                }

                expectedFirst = segment.Last + 1;
            }

            var segmentsEnd = segments.Count > 0 ? segments[^1].Last : t.Lineage.FirstOwnSequence - 1;
            var sealedEnd = t.HasSealed ? t.SealedThrough : t.Lineage.FirstOwnSequence - 1;
            if (segmentsEnd != sealedEnd)
            {
                problems.Add(new("segment_mismatch", UserRowKeys.ForThread(t.Id), $"sealed through {sealedEnd}, but its segments end at {segmentsEnd}", false));
            }

            foreach (var sequence in rows.Where(t.IsSealed))
            {
                problems.Add(new("sealed_row_present", UserRowKeys.ForMessage(t.Id, sequence), "the message is a row and sealed in a segment", false));
            }

            var count = rows.Count(s => s >= t.Lineage.FirstOwnSequence) + segments.Sum(s => (long)s.Count);
            var last = Math.Max(rows.Count > 0 ? rows.Max() : 0, segments.Count > 0 ? segments[^1].Last : 0);
            var fixedThread = t;
            if (count != t.MessageCount)
            {
                problems.Add(new("message_count", UserRowKeys.ForThread(t.Id), $"says {t.MessageCount} messages, holds {count}", true));
                fixedThread = fixedThread with { MessageCount = count };
            }

            if (last >= t.NextSequence)
            {
                problems.Add(new("next_sequence", UserRowKeys.ForThread(t.Id), $"next sequence {t.NextSequence}, but {last} is taken", true));
                fixedThread = fixedThread with { NextSequence = last + 1 };
            }

            if (!ReferenceEquals(fixedThread, t))
            {
                fixes.Add(() => SubmitAsync(
                    [
                        new(TableTransactionActionType.UpdateReplace, ThreadEntities.ThreadRow(user, fixedThread), t.ETag),
                        new(TableTransactionActionType.UpsertReplace, ThreadEntities.RecentRow(user, fixedThread)),
                    ],
                    $"thread {t.Id}: counters set to {fixedThread.MessageCount} messages, next sequence {fixedThread.NextSequence}"));
            }
        }

        void CheckListRows(UserPartition user, UserSnapshot data, List<IntegrityProblem> problems, List<Func<Task>> fixes, List<string> repairs)
        {
            foreach (var (kind, rows, expectedKey, expectedRow) in new[]
            {
                (UserDataKinds.ThreadActivity, data.RecentRows, (Func<ThreadRecord, string>)(t => UserRowKeys.ForRecent(t.LastActivityAt, t.Id)), (Func<ThreadRecord, TableEntity>)(t => ThreadEntities.RecentRow(user, t))),
                (UserDataKinds.ThreadCreation, data.CreatedRows, t => UserRowKeys.ForCreated(t.CreatedAt, t.Id), t => ThreadEntities.CreatedRow(user, t)),
            })
            {
                var present = rows.Select(r => r.RowKey).ToHashSet(StringComparer.Ordinal);
                foreach (var row in rows)
                {
                    var owner = data.Threads.GetValueOrDefault(ThreadEntities.ThreadIdOf(row));
                    if (owner is null || owner.PurgedAt is not null || expectedKey(owner) != row.RowKey)
                    {
                        problems.Add(new("list_row_stale", row.RowKey, $"a {kind.Name} row of {(owner is null ? "no thread" : "thread " + owner.Id)}", true));
                        fixes.Add(() => SubmitAsync([new(TableTransactionActionType.Delete, new TableEntity(row) { ETag = row.ETag })], $"deleted stale list row {row.RowKey}"));
                    }
                }

                foreach (var t in data.Threads.Values.Where(t => t.PurgedAt is null && !present.Contains(expectedKey(t))))
                {
                    problems.Add(new("list_row_missing", expectedKey(t), $"thread {t.Id} has no {kind.Name} row", true));
                    fixes.Add(() => SubmitAsync([new(TableTransactionActionType.UpsertReplace, expectedRow(t))], $"added list row {expectedKey(t)}"));
                }
            }
        }

        void CheckOwners(UserSnapshot data, List<IntegrityProblem> problems)
        {
            foreach (var threadId in data.ThreadOwnedRows.Keys.Where(id => !data.Threads.ContainsKey(id)))
            {
                problems.Add(new("rows_without_thread", UserRowKeys.ForThread(threadId), $"{data.ThreadOwnedRows[threadId]} message, segment, client-id or summary row(s) of a thread that does not exist", false));
            }

        }
    }

    private void CheckReferences(UserPartition user, UserSnapshot data, DateTimeOffset now, List<IntegrityProblem> problems)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (rowKey, blob) in data.References)
        {
            referenced.Add(blob);
            if (!data.Blobs.ContainsKey(blob))
            {
                problems.Add(new("dangling_reference", rowKey, $"names blob {blob}, which is missing", false));
            }
        }

        foreach (var (name, blob) in data.Blobs)
        {
            if (!referenced.Contains(name) && blob.Properties.LastModified <= now - orphanGrace)
            {
                problems.Add(new("orphan_blob", name, $"no row references it; written {blob.Properties.LastModified:O}", UserDataKinds.OfBlob(user.Key, name) is not null));
            }
        }
    }

    /// <summary>What the check reads of one user: one projected scan per kind, one blob listing.</summary>
    private sealed class UserSnapshot
    {
        public Dictionary<string, ThreadRecord> Threads { get; } = new(StringComparer.Ordinal);

        public List<TableEntity> RecentRows { get; } = [];

        public List<TableEntity> CreatedRows { get; } = [];

        public Dictionary<string, List<long>> MessageSequences { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<ArchiveSegment>> Segments { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, int> ThreadOwnedRows { get; } = new(StringComparer.Ordinal);

        public List<(string RowKey, string Blob)> References { get; } = [];

        public Dictionary<string, BlobItem> Blobs { get; } = new(StringComparer.Ordinal);

        public static async Task<UserSnapshot> ReadAsync(LifecycleStorage storage, UserPartition user, CancellationToken cancellationToken)
        {
            var data = new UserSnapshot();
            async Task<List<TableEntity>> Rows(UserDataKind kind, IEnumerable<string>? select) =>
                await storage.Users.ReadAllAsync(kind.Filter(user), select, cancellationToken).ConfigureAwait(false);

            foreach (var row in await Rows(UserDataKinds.Thread, null).ConfigureAwait(false))
            {
                var record = ThreadEntities.ToRecord(row);
                data.Threads[record.Id] = record;
            }

            data.RecentRows.AddRange(await Rows(UserDataKinds.ThreadActivity, ["ThreadId"]).ConfigureAwait(false));
            data.CreatedRows.AddRange(await Rows(UserDataKinds.ThreadCreation, ["ThreadId"]).ConfigureAwait(false));
            foreach (var row in await Rows(UserDataKinds.Message, UserDataKinds.Message.ReferenceColumns).ConfigureAwait(false))
            {
                var threadId = KeyEncoding.Split(row.RowKey)[1];
                data.Own(threadId);
                if (!data.MessageSequences.TryGetValue(threadId, out var list))
                {
                    data.MessageSequences[threadId] = list = [];
                }

                list.Add(MessageEntities.SequenceOf(row));
                data.Refer(user, UserDataKinds.Message, row);
            }

            foreach (var row in await Rows(UserDataKinds.Segment, null).ConfigureAwait(false))
            {
                var parts = KeyEncoding.Split(row.RowKey);
                data.Own(parts[1]);
                if (!data.Segments.TryGetValue(parts[1], out var list))
                {
                    data.Segments[parts[1]] = list = [];
                }

                list.Add(new ArchiveSegment(parts[1], row.GetInt64("First") ?? 0, long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture), row.GetInt32("Count") ?? 0, null, [], row.ETag));
                data.Refer(user, UserDataKinds.Segment, row);
            }

            foreach (var kind in new[] { UserDataKinds.ClientMessageId, UserDataKinds.Summary })
            {
                foreach (var row in await Rows(kind, ["RowKey"]).ConfigureAwait(false))
                {
                    data.Own(KeyEncoding.Split(row.RowKey)[1]);
                }
            }

            // Every other kind whose rows may reference blobs (mission runs, runs, records, artifacts, autosave, export and import jobs): the registry says which.
            foreach (var kind in UserDataKinds.Referencing.Where(k => k != UserDataKinds.Message && k != UserDataKinds.Segment))
            {
                foreach (var row in await Rows(kind, kind.ReferenceColumns).ConfigureAwait(false))
                {
                    data.Refer(user, kind, row);
                }
            }

            await foreach (var blob in storage.Payloads.GetBlobsAsync(new GetBlobsOptions { Prefix = UserBlobNames.Of(user.Key) }, cancellationToken).ConfigureAwait(false))
            {
                data.Blobs[blob.Name] = blob;
            }

            return data;
        }

        private void Own(string threadId) => ThreadOwnedRows[threadId] = ThreadOwnedRows.GetValueOrDefault(threadId) + 1;

        private void Refer(UserPartition user, UserDataKind kind, TableEntity row) =>
            References.AddRange(kind.ReferencedBlobs(user, row).Select(b => (row.RowKey, b.BlobName)));
    }
}
