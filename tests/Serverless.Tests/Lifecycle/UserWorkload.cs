using Azure.Data.Tables;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Conversations;
using Serverless.Storage.Integrations;
using Serverless.Storage.Events;
using Serverless.Storage.Memories;
using Serverless.Storage.Records;
using Serverless.Storage.Runs;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Missions;
using Serverless.Storage.Portability;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>
/// Writes, through the stores as the app does, at least one row of every kind and one blob of every folder for a
/// user: settings, an idempotency record, threads with messages (client ids, offloaded texts), archive segments, a
/// summary, a fork, a soft-deleted thread, missions with runs and stored responses, a deleted mission, a due-index
/// entry, migration records, and an orphan blob of a crashed append.
/// </summary>
internal static class UserWorkload
{
    public static readonly string Large = new('L', ConversationLimits.InlineMaxChars + 1);

    public static async Task FillAsync(LifecycleWorld world, UserPartition user)
    {
        var now = world.Time.GetUtcNow();
        await world.Settings.PutAsync(user, "ui", "theme", "\"dark\"", null, false, default);
        await world.Settings.PutAsync(user, "ui", "font", "14", null, false, default);

        // A thread created under an idempotency key, as the create endpoint does: key looked up, record in the same transaction.
        var (live, expired) = await world.Idempotency.FindAsync(user, "threads.create", "key-1", default);
        Assert.Null(live);
        var record = IdempotencyStore.RecordAction(user, new IdempotencyRecord("threads.create", "key-1", "hash", 201, "{\"id\":\"t1\"}", "/api/v1/threads/t1", now), expired);
        await world.Threads.CreateAsync(user, ThreadRecord.New("t1", "one", null, false, false, now, ThreadLineage.None), record, default);

        await world.Messages.AppendAsync(user, "t1", Enumerable.Range(1, 5).Select(i => Message($"m{i}", $"c{i}")).ToList(), default);
        await world.Messages.AppendAsync(user, "t1", [Message(null, Large) with { ToolCallsJson = "[" + new string(' ', ConversationLimits.InlineMaxChars) + "]" }], default);
        Assert.True((await world.Archiver.SealAsync(user, "t1", 10, default))!.Complete);
        await world.Messages.AppendAsync(user, "t1", [Message("m7", "c7"), Message(null, Large)], default);
        await world.Summaries.PutAsync(user, "t1", "a summary", 3, null, default);
        var t1 = (await world.Threads.GetAsync(user, "t1", default))!;
        await world.Threads.CreateAsync(user, ThreadRecord.New("f1", "fork", null, false, false, now, t1.Lineage.ForkAt("t1", 3)), null, default);
        await world.Messages.AppendAsync(user, "f1", [Message(null, "own")], default);

        await world.Threads.CreateAsync(user, ThreadRecord.New("t2", "two", null, false, false, now, ThreadLineage.None), null, default);
        await world.Messages.AppendAsync(user, "t2", [Message(null, "x"), Message(null, Large)], default);
        await world.Threads.UpdateAsync(user, "t2", null, (t, at) => t with { DeletedAt = at }, default);

        foreach (var missionId in new[] { "m1", "m2" })
        {
            await world.Missions.InsertAsync(user.Key, missionId, "{\"name\":\"n\"}", new MissionState { Enabled = true, CreatedAt = now, UpdatedAt = now, DueAt = now.AddHours(1) }, null, default);
            var body = await world.Missions.SaveResponseAsync(user.Key, missionId, new byte[4096], "text/plain", default);
            await world.Missions.AddRunAsync(user.Key, Run(missionId, now, body), default);
            await world.Missions.AddRunAsync(user.Key, Run(missionId, now.AddSeconds(1), null), default);
        }

        await new DueIndexStore(world.Storage.MissionDue).PutAsync(user.Key, "m1", now.AddHours(1), now, default);
        await world.Missions.DeleteAsync(user.Key, "m2", Azure.ETag.All, default);

        // A crashed append: its blob was uploaded, its row never committed.
        using var orphan = new MemoryStream(new byte[100]);
        await world.Payloads.WriteAsync(MessageStore.BlobPrefix(user, "t1"), orphan, "text/plain", default);

        // Artifacts: one with a parent (both index copies), a snapshot that expires, each through reserve, content, commit.
        await UploadAsync(world, user, "attachment", "thread:t1", null, "image/png", new byte[2048]);
        await UploadAsync(world, user, "snapshot", null, now.AddDays(30), "application/json", System.Text.Encoding.UTF8.GetBytes("{\"state\":1}"));

        await world.Autosaves.PutAsync(user, "sidepanel", System.Text.Encoding.UTF8.GetBytes("{\"view\":\"chat\"}"), null, false, default);
        await world.Autosaves.PutAsync(user, "random", Autosave.AutosaveStoreTests.LeastCompressible(3), null, false, default);
        await world.Integrations.PutAsync(
            user, new IntegrationRecord("github", "{\"org\":\"acme\"}", new Dictionary<string, StoredSecret> { ["token"] = new("k1:AAAA", null, now) }, now, now), null, false, default);

        // Agent state: a memory (and its word rows), a run with an offloaded input (list rows, counters), events (and the
        // usage rollups they and the appends above feed), records with a document over 64 KiB, a child and quota counters.
        await world.Memories.PutAsync(user, "user", "prefs.ui", "theme", new MemoryWrite("\"dark mode please\"", ["ui"], "t1", 1), null, false, null, default);
        await world.Runs.CreateAsync(user, new RunRecord(
            "r1", "tool", "search", RunStatuses.Running, "t1", 1, null, null, "\"" + new string('i', ConversationLimits.InlineMaxChars + 10) + "\"", null, null,
            "gpt", 5, 6, 0.1, null, now, now, now, null), null, default);
        await world.Events.AppendAsync(user, [new NewEvent("e1", "search", now, "{\"q\":\"x\"}", "gpt", 1, 2, 0.01, 30, null)], default);
        var big = "{\"blob\":\"" + new string('d', RecordStore.InlineMaxBytes) + "\"}";
        await world.Records.WriteAsync(user, "cells", "c1", _ => new RecordState(big, "running", null, null, new Dictionary<string, long> { ["n"] = 1 }), false, null, true, null, default);
        await world.Records.WriteAsync(user, "cells", "c2", _ => new RecordState("{}", null, "c1", null, new Dictionary<string, long>()), false, null, true, null, default);

        await world.Migrations.RunAsync(user, default);

        // An export job with its bundle, as the exporter leaves it.
        var exports = new PortabilityJobStore(world.Storage.Users, world.Storage.Payloads, world.Expiry, world.Time);
        var (job, etag) = await exports.CreateAsync(user, new PortabilityJob(PortabilityJobStore.NewId(PortabilityJob.Export), PortabilityJob.Export, "queued", "queued", now, now), default);
        var bundle = PortabilityJobStore.BundleBlobOf(user, job.Id);
        await exports.UploadAsync(bundle, BinaryData.FromString("a bundle"), default);
        await exports.SaveAsync(user, job with { State = "done", BundleBlob = bundle }, etag, default);
    }

    /// <summary>Uploads an artifact as the upload endpoint does: quota reserved, content streamed into its blob, rows committed.</summary>
    public static async Task<ArtifactRecord> UploadAsync(LifecycleWorld world, UserPartition user, string kind, string? parent, DateTimeOffset? expiresAt, string contentType, byte[] content)
    {
        var now = world.Time.GetUtcNow();
        var reservation = await world.Artifacts.ReserveAsync(user, content.Length, content.Length, 1L << 30, 4, TimeSpan.FromHours(1), default);
        var id = ArtifactStore.NewId(now);
        using var body = new MemoryStream(content);
        var stored = await world.Artifacts.WriteContentAsync(user, id, body, contentType, default);
        return await world.Artifacts.CommitAsync(user, new ArtifactRecord(id, kind, kind + ".bin", parent, false, expiresAt, now, now, stored), reservation, 1L << 30, null, default);
    }

    /// <summary>Every row of the user's partition, read raw.</summary>
    public static Task<List<TableEntity>> RowsAsync(LifecycleWorld world, UserPartition user) =>
        world.Storage.Users.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"));

    /// <summary>Every blob name under the user's prefix, listed raw.</summary>
    public static Task<List<string>> BlobsAsync(LifecycleWorld world, UserPartition user) => world.Storage.Payloads.ListNamesAsync(user.Key + "/");

    /// <summary>A user message that reports no usage (so it touches no usage rollup row; the events above feed those).</summary>
    public static NewMessage Message(string? clientId, string content) => new(clientId, "user", content, null, null, null, null, null, null);

    private static MissionRunRecord Run(string missionId, DateTimeOffset at, Serverless.Storage.Payloads.PayloadReference? body) => new(
        missionId, MissionStore.NewRunId(at), "firing", at, at, 1, 10, "succeeded", 200, null, "ok", false, 4096, false, "text/plain", body);
}
