using Azure;
using FsCheck;
using FsCheck.Fluent;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// Property (FsCheck, shrinking to the shortest failing list): any sequence of appends (some with offloaded texts,
/// some crashing between blob and commit), message deletes, forks, archives, thread deletes and restores, clock
/// advances, retention sweeps and orphan sweeps keeps every live thread reading exactly as an in-memory model says,
/// and, once every restore window has passed and the sweeps have run, leaves storage in the model's state: deleted
/// threads gone except the messages live forks still read, no reference to a missing blob, no orphan blob older than
/// the grace period. Runs on the stores against Azurite, each case in tables of its own.
/// </summary>
public sealed class LifecyclePropertyTests
{
    private static readonly TimeSpan Window = TimeSpan.FromDays(30);
    private static readonly TimeSpan Grace = TimeSpan.FromDays(1);

    /// <summary>One step; thread and number are reduced modulo what exists when it runs.</summary>
    public sealed record Operation(string Kind, int Thread, int Number)
    {
        public override string ToString() => $"{Kind}({Thread},{Number})";
    }

    private sealed class ModelThread(string id, ThreadLineage lineage)
    {
        public string Id { get; } = id;

        public ThreadLineage Lineage { get; } = lineage;

        public SortedDictionary<long, string> Own { get; } = [];

        public long NextSeq { get; set; } = lineage.FirstOwnSequence;

        public DateTimeOffset? DeletedAt { get; set; }
    }

    [Fact]
    public void AnyWorkloadWithSweeps_ReadsAsTheModelSays_AndEndsInTheModelsState()
    {
        var step = Gen.Frequency(
            (6, Gen.Choose(1, 12).Select(n => ("append", n))),
            (1, Gen.Choose(1, 3).Select(n => ("crash", n))),
            (2, Gen.Choose(0, 1000).Select(n => ("deleteMessage", n))),
            (3, Gen.Choose(0, 1000).Select(n => ("fork", n))),
            (1, Gen.Choose(1, 2).Select(n => ("archive", n))),
            (3, Gen.Choose(0, 1).Select(n => ("deleteThread", n))),
            (1, Gen.Choose(0, 1).Select(n => ("restore", n))),
            (3, Gen.Choose(1, 45).Select(n => ("advance", n))),
            (2, Gen.Choose(0, 1).Select(n => ("sweep", n))),
            (1, Gen.Choose(0, 1).Select(n => ("orphans", n))))
            .SelectMany(kind => Gen.Choose(0, 9), (kind, thread) => new Operation(kind.Item1, thread, kind.Item2));
        var generator = Gen.Choose(4, 30).SelectMany(n => Gen.ListOf(step, n)).Select(steps => steps.ToArray());

        Properties.Check(generator, Shrink, steps => Task.Run(() => RunAsync(steps)).GetAwaiter().GetResult(), count: 25);
    }

    private static IEnumerable<Operation[]> Shrink(Operation[] steps)
    {
        for (var i = 0; i < steps.Length; i++)
        {
            yield return [.. steps.Take(i), .. steps.Skip(i + 1)];
        }
    }

    private static async Task<bool> RunAsync(Operation[] steps)
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 6, 1, 0, 0, 0, TimeSpan.Zero));
        await using var world = await LifecycleWorld.CreateAsync(clock, RetentionPolicy.Of(Window, TimeSpan.Zero));
        var crashing = world.Over(o =>
        {
            o.Transport = new FaultInjectionTransport(r => r.Uri.ToString().Contains("$batch", StringComparison.Ordinal) ? Fault.Refuse : Fault.None);
            o.Retry.MaxRetries = 0;
        });
        var user = UserPartition.For("model");
        var model = new List<ModelThread> { new("t0", ThreadLineage.None) };
        await world.Threads.CreateAsync(user, ThreadRecord.New("t0", null, null, false, false, clock.Now, ThreadLineage.None), null, default);
        var counter = 0;

        foreach (var step in steps)
        {
            var live = model.Where(t => t.DeletedAt is null).ToList();
            var deleted = model.Where(t => t.DeletedAt is not null).ToList();
            var thread = live.Count > 0 ? live[step.Thread % live.Count] : null;
            switch (step.Kind)
            {
                case "append" when thread is not null:
                    var batch = Enumerable.Range(0, step.Number).Select(_ =>
                    {
                        var n = counter++;
                        return UserWorkload.Message(null, n % 5 == 0 ? $"{n}:" + UserWorkload.Large : $"c{n}");
                    }).ToList();
                    await world.Messages.AppendAsync(user, thread.Id, batch, default);
                    foreach (var m in batch)
                    {
                        thread.Own[thread.NextSeq++] = m.Content!;
                    }

                    break;
                case "crash" when thread is not null:
                    // Uploads its texts, then its transaction fails: orphans, and no change the model sees.
                    await Assert.ThrowsAsync<RequestFailedException>(() => crashing.Messages.AppendAsync(user, thread.Id, [UserWorkload.Message(null, UserWorkload.Large)], default));
                    break;
                case "deleteMessage" when thread is not null && thread.Own.Count > 0:
                    var sequence = thread.Own.Keys.ElementAt(step.Number % thread.Own.Count);
                    Check(await world.Messages.DeleteAsync(user, thread.Id, sequence, default), $"delete {thread.Id}/{sequence}");
                    thread.Own.Remove(sequence);
                    break;
                case "fork" when thread is not null && model.Count < 10:
                    var stored = (await world.Threads.GetAsync(user, thread.Id, default))!;
                    var at = step.Number % stored.NextSequence;
                    var fork = new ModelThread($"t{model.Count}", stored.Lineage.ForkAt(thread.Id, at));
                    await world.Threads.CreateAsync(user, ThreadRecord.New(fork.Id, null, null, false, false, clock.Now, fork.Lineage), null, default);
                    model.Add(fork);
                    break;
                case "archive" when thread is not null:
                    await world.Archiver.SealAsync(user, thread.Id, step.Number, default);
                    break;
                case "deleteThread" when thread is not null:
                    Check(await world.Threads.UpdateAsync(user, thread.Id, null, (t, now) => t with { DeletedAt = now }, default) is not null, $"soft-delete {thread.Id}");
                    thread.DeletedAt = clock.Now;
                    break;
                case "restore" when deleted.Count > 0:
                    var back = deleted[step.Thread % deleted.Count];
                    if (back.DeletedAt + Window > clock.Now)
                    {
                        // Within its window a thread is never purged, so it can always be restored.
                        Check(await world.Threads.UpdateAsync(user, back.Id, null, (t, _) => t with { DeletedAt = null }, default) is not null, $"restore {back.Id}");
                        back.DeletedAt = null;
                    }

                    break;
                case "advance":
                    clock.Now = clock.Now.AddDays(step.Number);
                    break;
                case "sweep":
                    await world.Sweep.RunAsync(dryRun: false, 1000, default);
                    await CheckLiveThreadsAsync(world, user, model);
                    break;
                case "orphans":
                    await world.Orphans.RunUserAsync(user, Grace, dryRun: false, default);
                    await CheckLiveThreadsAsync(world, user, model);
                    break;
            }
        }

        // Every window passes; sweeps run until nothing is due (releases of parents are picked up by the next run).
        clock.Now = clock.Now.AddDays(400);
        for (var run = 0; run < 10 && (await world.Sweep.RunAsync(dryRun: false, 1000, default)).Entries > 0; run++)
        {
        }

        await world.Orphans.RunUserAsync(user, Grace, dryRun: false, default);
        await CheckLiveThreadsAsync(world, user, model);
        await CheckFinalStateAsync(world, user, model);
        return true;
    }

    /// <summary>Every live thread reads (pages and stream) as the model says, through its fork lineage.</summary>
    private static async Task CheckLiveThreadsAsync(LifecycleWorld world, UserPartition user, List<ModelThread> model)
    {
        foreach (var thread in model.Where(t => t.DeletedAt is null))
        {
            var expected = View(model, thread);
            var stored = (await world.Threads.GetAsync(user, thread.Id, default))!;
            var listed = new List<string>();
            long? cursor = null;
            do
            {
                var (items, next) = await world.Messages.ListAsync(user, stored, false, 7, cursor, default);
                listed.AddRange(items.Select(m => $"{m.Sequence}:{m.Content}"));
                cursor = next;
            }
            while (cursor is not null);

            Check(listed.SequenceEqual(expected), $"{thread.Id} reads [{string.Join(' ', listed.Select(Short))}], model says [{string.Join(' ', expected.Select(Short))}]");
        }
    }

    /// <summary>
    /// Deleted threads are gone, except (row and messages up to the point) those a live fork reads; nothing else of
    /// theirs is left; no row names a missing blob; no blob is an orphan.
    /// </summary>
    private static async Task CheckFinalStateAsync(LifecycleWorld world, UserPartition user, List<ModelThread> model)
    {
        var rows = await UserWorkload.RowsAsync(world, user);
        foreach (var thread in model.Where(t => t.DeletedAt is not null))
        {
            var needed = model.Where(t => t.DeletedAt is null).SelectMany(t => t.Lineage.Ancestors).Where(a => a.ThreadId == thread.Id).Select(a => a.LastSequence).DefaultIfEmpty(0).Max();
            var left = rows.Where(r => UserDataKinds.OfRow(r.RowKey) is { } kind && kind != UserDataKinds.Lifecycle && KeyEncoding.Split(r.RowKey).Contains(thread.Id)).ToList();
            var allowed = left.All(r => r.RowKey == UserRowKeys.ForThread(thread.Id)
                || (UserDataKinds.Segment.Owns(r.RowKey) && (r.GetInt64("First") ?? 0) <= needed)
                || (UserDataKinds.Message.Owns(r.RowKey) && MessageEntities.SequenceOf(r) <= needed));
            Check(allowed && (needed > 0 || left.Count == 0), $"deleted {thread.Id} (forks read up to {needed}) left [{string.Join(' ', left.Select(r => r.RowKey))}]");
        }

        var report = await world.Integrity(Grace).CheckAsync(user, default);
        var broken = report.Problems.Where(p => p.Code is "dangling_reference" or "orphan_blob").ToList();
        Check(broken.Count == 0, string.Join("; ", broken));
        var expiryEntries = await world.Storage.Expiry.ReadAllAsync(Azure.Data.Tables.TableClient.CreateQueryFilter($"PartitionKey ne {"cursor"}"));
        Check(expiryEntries.Count == 0, $"{expiryEntries.Count} expiry entries left");
    }

    private static List<string> View(List<ModelThread> model, ModelThread thread)
    {
        var view = new List<string>();
        foreach (var (owner, first, last) in thread.Lineage.Ranges(thread.Id))
        {
            var source = model.First(t => t.Id == owner);
            view.AddRange(source.Own.Where(m => m.Key >= first && m.Key <= last).Select(m => $"{m.Key}:{m.Value}"));
        }

        return view;
    }

    private static string Short(string text) => text.Length > 12 ? text[..12] : text;

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new InvalidOperationException(what);
        }
    }
}
