using System.Diagnostics;
using Serverless.Bench.Lifecycle;
using Serverless.Storage.Conversations;
using Serverless.Storage.Events;
using Serverless.Storage.Memories;
using Serverless.Storage.Payloads;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Usage;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.AgentState;

/// <summary>
/// <c>bench/run agent-state</c>: storage round trips per operation of memories, runs, events, usage and records (counted
/// on the pipeline with <c>RoundTripCounter</c>, so they do not depend on the machine), then list-page time with
/// 100,000 items against 100 items of another user in the same table (events), and memory search at 10,000 memories
/// against 100. One Azurite, started by the suite. Options: <c>--big N</c> (events of the big user, default 100,000),
/// <c>--memories N</c> (default 10,000), <c>--samples N</c> (timed pages per side, default 40).
/// </summary>
internal static class AgentStateSuite
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = BenchOptions.Parse(args);
        var unknown = options.Names.Where(n => n is not ("big" or "memories" or "samples")).ToList();
        if (unknown.Count > 0)
        {
            throw new BenchUsageException("usage: bench/run agent-state [--big N] [--memories N] [--samples N]");
        }

        if (Azurite.Unavailable is { } reason)
        {
            Figures.Comment($"skipped: {reason}");
            return 1;
        }

        var big = options.GetInt("big", 100_000, 1_000, 1_000_000);
        var memories = options.GetInt("memories", 10_000, 200, 100_000);
        var samples = options.GetInt("samples", 40, 5, 1_000);
        Figures.Comment(MachineInfo.Describe());
        await using var azurite = await Azurite.StartAsync();
        var world = await BenchWorld.CreateAsync(azurite);
        world.Clock.Now = DateTimeOffset.UtcNow;
        var stores = new Stores(world);
        await RoundTripsAsync(world, stores);
        await EventPagesAsync(world, stores, big, samples);
        await MemorySearchAsync(world, stores, memories, samples);
        await world.DeleteAsync();
        return 0;
    }

    private static async Task RoundTripsAsync(BenchWorld world, Stores s)
    {
        Figures.Comment("round trips per operation (storage requests, every retry included), one user, no contention");
        var user = UserPartition.For("bench-rt");
        var now = world.Clock.Now;
        async Task Count(string name, Func<Task> operation)
        {
            world.Counter.Reset();
            await operation();
            Figures.Write($"{name}: round trips", world.Counter.Reset());
        }

        var write = new MemoryWrite("\"the user prefers dark mode and short answers\"", ["ui"], null, null);
        await Count("memory create (PUT, 9 words indexed)", () => s.Memories.PutAsync(user, "user", "prefs", "theme", write, null, false, null, default));
        await Count("memory update (PUT, words changed)", () => s.Memories.PutAsync(user, "user", "prefs", "theme", write with { ValueJson = "\"light mode now\"" }, null, false, null, default));
        for (var i = 0; i < 100; i++)
        {
            await s.Memories.PutAsync(user, "user", "notes", $"n{i:D3}", new MemoryWrite($"\"note {i} about lisbon\"", [], null, null), null, false, null, default);
        }

        await Count("memory list, page of 20", () => s.Memories.ListAsync(user, "user", "notes", 20, null, default));
        await Count("memory search (q=lisbon), page of 20", () => s.Memories.SearchAsync(user, "user", "", ["lisbon"], 20, null, default));

        await Count("run create", () => s.Runs.CreateAsync(user, Run("r0", now), null, default));
        await Count("run update (running → succeeded)", () => s.Runs.UpdateAsync(user, "r0", null, new RunPatch(RunStatuses.Succeeded, null, "{\"ok\":true}", null, null, 10, 20, 0.01, null, null, null), default));
        for (var i = 1; i <= 100; i++)
        {
            await s.Runs.CreateAsync(user, Run($"r{i}", now.AddMilliseconds(i)), null, default);
        }

        await Count("run list, page of 20", () => s.Runs.ListAsync(user, new RunFilter(null, null, null), 20, null, default));
        await Count("run list by status, page of 20", () => s.Runs.ListAsync(user, new RunFilter(null, RunStatuses.Running, null), 20, null, default));
        await Count("run counts", () => s.Runs.CountsAsync(user, default));

        var empty = new Dictionary<string, long>();
        await Count("record create", () => s.Records.WriteAsync(user, "agents", "a0", _ => new RecordState("{\"name\":\"a\"}", "active", null, null, empty), false, null, true, null, default));
        await Count("record update (merge-patch data, status)", () => s.Records.WriteAsync(user, "agents", "a0", c => new RecordState("{\"name\":\"b\"}", "idle", null, null, c!.Counters), true, null, false, null, default));
        await Count("record increment", () => s.Records.WriteAsync(user, "agents", "a0", c => new RecordState(null, c!.Status, null, null, new Dictionary<string, long> { ["tasksCompleted"] = 1 }), false, null, false, null, default));
        for (var i = 1; i <= 100; i++)
        {
            await s.Records.WriteAsync(user, "agents", $"a{i}", _ => new RecordState("{}", "active", null, null, empty), false, null, true, null, default);
        }

        await Count("record list (recent), page of 20", () => s.Records.ListAsync(user, "agents", new RecordListQuery(true, null, null), 20, null, default));
        await Count("record list by status, page of 20", () => s.Records.ListAsync(user, "agents", new RecordListQuery(true, "active", null), 20, null, default));

        var batch = Events("b", 500, now.AddHours(-1));
        await Count("event batch of 500 (2 models, 3 types, 1 day)", () => s.Events.AppendAsync(user, batch, default));
        await Count("event batch of 500 sent again (all duplicates)", () => s.Events.AppendAsync(user, batch, default));
        await Count("event list, page of 20", () => s.Events.ListAsync(user, null, null, null, 20, null, default));
        await Count("usage range of 90 days", () => s.Rollups.ReadAsync(user, DateOnly.FromDateTime(now.UtcDateTime).AddDays(-89), DateOnly.FromDateTime(now.UtcDateTime), default));

        var thread = ThreadRecord.New("t", "t", null, false, false, now, ThreadLineage.None);
        await world.Threads.CreateAsync(user, thread, null, default);
        await Count("message append without usage", () => world.Messages.AppendAsync(user, "t", [new NewMessage(null, "user", "hi", null, null, null, null, null, null)], default));
        await Count("message append with usage (rollup rows read and written in its transaction)", () => world.Messages.AppendAsync(user, "t", [new NewMessage(null, "assistant", "hello", null, "gpt", 10, 20, 0.01, null)], default));
    }

    private static async Task EventPagesAsync(BenchWorld world, Stores s, int big, int samples)
    {
        var bigUser = UserPartition.For("bench-events-big");
        var smallUser = UserPartition.For("bench-events-small");
        var start = world.Clock.Now.AddDays(-30);
        Figures.Progress($"events: storing {big:N0} events in batches of 500");
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, big / 500), new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (b, ct) =>
            await s.Events.AppendAsync(bigUser, Events($"e{b}-", 500, start.AddMinutes(b * 10)), ct));
        Figures.Comment($"events: {big:N0} stored in {watch.Elapsed.TotalSeconds:0.0} s ({big / watch.Elapsed.TotalSeconds:0} events/s, 4 batches in parallel)");
        await s.Events.AppendAsync(smallUser, Events("s", 100, start), default);

        var times = new Dictionary<string, List<double>> { ["big"] = [], ["small"] = [] };
        for (var i = 0; i < samples; i++)
        {
            foreach (var (name, user) in i % 2 == 0 ? new[] { ("big", bigUser), ("small", smallUser) } : [("small", smallUser), ("big", bigUser)])
            {
                watch.Restart();
                await s.Events.ListAsync(user, null, null, null, 20, null, default);
                times[name].Add(watch.Elapsed.TotalMilliseconds);
            }
        }

        world.Counter.Reset();
        await s.Events.ListAsync(bigUser, null, null, null, 20, null, default);
        Figures.Write($"event list page of 20 at {big:N0} events: round trips", world.Counter.Reset());
        Figures.Write($"event list page of 20 at {big:N0} events: p50 ms", Percentile(times["big"], 0.5));
        Figures.Write("event list page of 20 at 100 events: p50 ms", Percentile(times["small"], 0.5));
        Figures.Write($"event list page p50 ratio {big:N0} / 100", Percentile(times["big"], 0.5) / Percentile(times["small"], 0.5));
        world.Counter.Reset();
        await s.Rollups.ReadAsync(bigUser, DateOnly.FromDateTime(world.Clock.Now.UtcDateTime).AddDays(-89), DateOnly.FromDateTime(world.Clock.Now.UtcDateTime), default);
        Figures.Write($"usage range of 90 days over {big:N0} events: round trips", world.Counter.Reset());
    }

    private static async Task MemorySearchAsync(BenchWorld world, Stores s, int count, int samples)
    {
        var bigUser = UserPartition.For("bench-memories-big");
        var smallUser = UserPartition.For("bench-memories-small");
        Figures.Progress($"memories: writing {count:N0} memories of 12 words from a 2,000-word vocabulary ('rareword' in 10 of them)");
        var watch = Stopwatch.StartNew();
        async Task FillAsync(UserPartition user, int n) =>
            await Parallel.ForEachAsync(Enumerable.Range(0, n), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
            {
                var random = new Random(i);
                var words = Enumerable.Range(0, 12).Select(_ => $"word{random.Next(2000)}").Append(i % (n / 10) == 0 ? "rareword" : "common").Append("common");
                await s.Memories.PutAsync(user, "user", $"ns{i % 10}", $"m{i}", new MemoryWrite(System.Text.Json.JsonSerializer.Serialize(string.Join(' ', words)), [], null, null), null, false, null, ct);
            });
        await FillAsync(bigUser, count);
        Figures.Comment($"memories: {count:N0} written in {watch.Elapsed.TotalSeconds:0.0} s");
        await FillAsync(smallUser, 100);

        foreach (var query in new[] { "rareword", "common", "common word7" })
        {
            var words = MemoryWords.OfQuery(query);
            var times = new Dictionary<string, List<double>> { ["big"] = [], ["small"] = [] };
            for (var i = 0; i < samples; i++)
            {
                foreach (var (name, user) in i % 2 == 0 ? new[] { ("big", bigUser), ("small", smallUser) } : [("small", smallUser), ("big", bigUser)])
                {
                    watch.Restart();
                    await s.Memories.SearchAsync(user, "user", "", words, 20, null, default);
                    times[name].Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            world.Counter.Reset();
            var (items, next) = await s.Memories.SearchAsync(bigUser, "user", "", words, 20, null, default);
            var trips = world.Counter.Reset();
            Figures.Write($"memory search q='{query}' at {count:N0} memories: results on page 1", items.Count);
            Figures.Write($"memory search q='{query}' at {count:N0} memories: round trips (1 index query + 1 point read per candidate)", trips);
            Figures.Write($"memory search q='{query}' at {count:N0} memories: more pages", next is null ? 0 : 1);
            Figures.Write($"memory search q='{query}': p50 ms at {count:N0}", Percentile(times["big"], 0.5));
            Figures.Write($"memory search q='{query}': p50 ms at 100", Percentile(times["small"], 0.5));
            Figures.Write($"memory search q='{query}': p50 ratio {count:N0} / 100", Percentile(times["big"], 0.5) / Percentile(times["small"], 0.5));
        }
    }

    private static RunRecord Run(string id, DateTimeOffset at) =>
        new(id, "tool", "search", RunStatuses.Running, "t1", 1, null, null, "{\"q\":\"x\"}", null, null, null, null, null, null, null, at, at, at, null);

    private static List<NewEvent> Events(string prefix, int n, DateTimeOffset start) =>
        Enumerable.Range(0, n).Select(i => new NewEvent(
            $"{prefix}{i}", (i % 3) switch { 0 => "search", 1 => "click", _ => "model.call" }, start.AddMilliseconds(i), "{\"k\":1}", i % 2 == 0 ? "gpt-a" : "gpt-b", 10, 20, 0.001, 100, null)).ToList();

    private static double Percentile(List<double> values, double p)
    {
        var sorted = values.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }

    private sealed class Stores(BenchWorld world)
    {
        private readonly PayloadStore payloads = new(world.Storage.Payloads);

        public MemoryStore Memories { get; } = new(world.Storage.Users, world.Clock);

        public RunStore Runs => new(world.Storage.Users, payloads, world.Expiry, world.Clock);

        public EventStore Events { get; } = new(world.Storage.Users, world.Expiry, world.Clock);

        public UsageStore Rollups { get; } = new(world.Storage.Users);

        public RecordStore Records => new(world.Storage.Users, payloads, world.Expiry, world.Clock, new RecordQuotas(1_000_000, 1_000, long.MaxValue));
    }
}
