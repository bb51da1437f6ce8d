using FsCheck;
using FsCheck.Fluent;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

/// <summary>
/// Property (FsCheck, with shrinking to the shortest failing operation list): any sequence of
/// appends (small, and large enough to span archive segments, some with offloaded texts), deletes,
/// redactions, forks, archives and unarchives (with budgets that leave long threads partly
/// archived) leaves every thread reading exactly as an in-memory
/// model says: list ascending and descending page by page, the transcript stream, and the counters.
/// Runs on the stores against Azurite, each case in a user partition of its own.
/// </summary>
public sealed class ConversationPropertyTests : IAsyncLifetime
{
    private TableClient table = null!;
    private BlobContainerClient container = null!;
    private ExpiryIndex expiry = null!;
    private int cases;

    /// <summary>One step; thread and pick are reduced modulo what exists when it runs.</summary>
    public sealed record Operation(string Kind, int Thread, int Number)
    {
        public override string ToString() => $"{Kind}({Thread},{Number})";
    }

    /// <summary>A case: the steps and the page size the reads use.</summary>
    public sealed record Scenario(Operation[] Steps, int PageSize)
    {
        public override string ToString() => $"page {PageSize}: {string.Join(' ', Steps.Select(s => s.ToString()))}";
    }

    private sealed class ModelThread(string id, string? parent, long forkAt)
    {
        public string Id { get; } = id;

        public string? Parent { get; } = parent;

        public long ForkAt { get; } = forkAt;

        public SortedDictionary<long, string?> Own { get; } = [];

        public long NextSeq { get; set; } = forkAt + 1;

        /// <summary>Messages ever appended (1 prompt token each; usage stays with the thread when a message is deleted).</summary>
        public long Appended { get; set; }
    }

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        table = azurite.Table(Azurite.UniqueName("prop"));
        await table.CreateIfNotExistsAsync();
        container = azurite.Container(Azurite.UniqueName("prop"));
        await container.CreateIfNotExistsAsync();
        expiry = await LifecycleWorld.ExpiryForAsync(table);
    }

    public async Task DisposeAsync()
    {
        await table.DeleteAsync();
        await container.DeleteIfExistsAsync();
    }

    [Fact]
    public void AnyOperationSequence_ReadsAsTheModelSays()
    {
        var step = Gen.Frequency(
            (5, Gen.Frequency((4, Gen.Choose(1, 5)), (1, Gen.Choose(40, ConversationLimits.MaxAppendRowsWithUsage))).Select(n => ("append", n))),
            (2, Gen.Choose(0, 1000).Select(n => ("delete", n))),
            (1, Gen.Choose(0, 1000).Select(n => ("redact", n))),
            (2, Gen.Choose(0, 1000).Select(n => ("fork", n))),
            (2, Gen.Choose(1, 3).Select(n => ("archive", n))),
            (1, Gen.Choose(1, 3).Select(n => ("unarchive", n))))
            .SelectMany(kind => Gen.Choose(0, 7), (kind, thread) => new Operation(kind.Item1, thread, kind.Item2));
        var generator = Gen.Choose(1, 24).SelectMany(n => Gen.ListOf(step, n))
            .SelectMany(steps => Gen.Choose(1, 7), (steps, page) => new Scenario([.. steps], page));

        Properties.Check(generator, Shrink, c => Task.Run(() => RunAsync(c)).GetAwaiter().GetResult(), count: 25);
    }

    /// <summary>Shorter lists first (each step dropped in turn), then smaller appends.</summary>
    private static IEnumerable<Scenario> Shrink(Scenario c)
    {
        for (var i = 0; i < c.Steps.Length; i++)
        {
            yield return c with { Steps = [.. c.Steps.Take(i), .. c.Steps.Skip(i + 1)] };
        }

        for (var i = 0; i < c.Steps.Length; i++)
        {
            if (c.Steps[i] is { Kind: "append", Number: > 1 } append)
            {
                var steps = c.Steps.ToArray();
                steps[i] = append with { Number = append.Number / 2 };
                yield return c with { Steps = steps };
            }
        }
    }

    private async Task<bool> RunAsync(Scenario c)
    {
        var user = UserPartition.For($"case{Interlocked.Increment(ref cases)}");
        var payloads = new PayloadStore(container);
        var threads = new ThreadStore(table, TimeProvider.System, expiry);
        var messages = new MessageStore(table, threads, payloads, TimeProvider.System);
        var archiver = new ThreadArchiver(table, threads, payloads);
        var model = new List<ModelThread> { new("t0", null, 0) };
        await threads.CreateAsync(user, ThreadRecord.New("t0", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        var counter = 0;

        foreach (var step in c.Steps)
        {
            var thread = model[step.Thread % model.Count];
            var stored = (await threads.GetAsync(user, thread.Id, default))!;
            switch (step.Kind)
            {
                case "append":
                    var batch = Enumerable.Range(0, step.Number).Select(_ =>
                    {
                        var n = counter++;
                        var content = n % 29 == 0 ? $"{n}:" + new string('L', ConversationLimits.InlineMaxChars + 1) : $"c{n}";
                        return new NewMessage(null, "user", content, null, null, 1, 2, null, null);
                    }).ToList();
                    await messages.AppendAsync(user, thread.Id, batch, default);
                    thread.Appended += batch.Count;
                    foreach (var m in batch)
                    {
                        thread.Own[thread.NextSeq++] = m.Content;
                    }

                    break;
                case "delete" when thread.Own.Count > 0:
                    var deleted = thread.Own.Keys.ElementAt(step.Number % thread.Own.Count);
                    if (!await messages.DeleteAsync(user, thread.Id, deleted, default))
                    {
                        return false;
                    }

                    thread.Own.Remove(deleted);
                    break;
                case "redact" when thread.Own.Count > 0:
                    var redacted = thread.Own.Keys.ElementAt(step.Number % thread.Own.Count);
                    if (await messages.RedactAsync(user, stored, redacted, default) is not { Redacted: true })
                    {
                        return false;
                    }

                    thread.Own[redacted] = null;
                    break;
                case "fork" when model.Count < 8:
                    var at = step.Number % thread.NextSeq;
                    var fork = new ModelThread($"t{model.Count}", thread.Id, at);
                    await threads.CreateAsync(user, ThreadRecord.New(fork.Id, null, null, false, false, DateTimeOffset.UtcNow, stored.Lineage.ForkAt(stored.Id, at)), null, default);
                    model.Add(fork);
                    break;
                case "archive":
                    // A budget of 1 to 3 segments: long threads stay partly archived, which reads must handle too.
                    await archiver.SealAsync(user, thread.Id, step.Number, default);
                    break;
                case "unarchive":
                    await archiver.UnsealAsync(user, thread.Id, step.Number, default);
                    break;
            }
        }

        foreach (var thread in model)
        {
            var expected = View(model, thread).Select(m => $"{m.Seq}:{m.Content}").ToList();
            var stored = (await threads.GetAsync(user, thread.Id, default))!;
            var asc = await ListAllAsync(messages, user, stored, descending: false, c.PageSize);
            var desc = await ListAllAsync(messages, user, stored, descending: true, c.PageSize);
            var streamed = new List<string>();
            await foreach (var m in messages.StreamAsync(user, stored, 100, default))
            {
                streamed.Add(Text(m));
            }

            if (!asc.SequenceEqual(expected) || !desc.SequenceEqual(Enumerable.Reverse(expected)) || !streamed.SequenceEqual(expected)
                || stored.MessageCount != thread.Own.Count || stored.PromptTokens != thread.Appended)
            {
                return false;
            }
        }

        return true;
    }

    private static async Task<List<string>> ListAllAsync(MessageStore messages, UserPartition user, ThreadRecord thread, bool descending, int pageSize)
    {
        var all = new List<string>();
        long? cursor = null;
        do
        {
            var (items, next) = await messages.ListAsync(user, thread, descending, pageSize, cursor, default);
            all.AddRange(items.Select(Text));
            cursor = next;
        }
        while (cursor is not null);
        return all;
    }

    private static string Text(MessageRecord m) => $"{m.Sequence}:{m.Content}";

    private static List<(long Seq, string? Content)> View(List<ModelThread> model, ModelThread thread)
    {
        var inherited = thread.Parent is null
            ? []
            : View(model, model.First(t => t.Id == thread.Parent)).Where(m => m.Seq <= thread.ForkAt).ToList();
        return [.. inherited, .. thread.Own.Select(kv => (kv.Key, kv.Value))];
    }
}
