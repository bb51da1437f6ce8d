using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>Erasure removes every row, blob and index entry of a user, resumably, and keeps a receipt without personal data.</summary>
public sealed class ErasureTests : IAsyncLifetime
{
    private const string UserId = "erase-me@example.com";
    private readonly UserPartition user = UserPartition.For(UserId);
    private readonly UserPartition other = UserPartition.For("keep-me@example.com");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task Erasure_LeavesNothingOfTheUserInAnyTableOrTheContainer_AndTouchesNoOneElse()
    {
        await UserWorkload.FillAsync(world, user);
        await UserWorkload.FillAsync(world, other);
        var usage = await world.Usage.ComputeAsync(user, default);
        var otherRows = await UserWorkload.RowsAsync(world, other);
        var otherBlobs = await UserWorkload.BlobsAsync(world, other);

        var started = await world.Erasure.StartAsync(user, default);
        Assert.True(await world.Erasure.IsErasingAsync(user, default));
        var receipt = await world.Erasure.RunAsync(user, default);

        Assert.True(receipt.Done);
        Assert.Equal(started.StartedAt, receipt.StartedAt);
        Assert.False(await world.Erasure.IsErasingAsync(user, default));
        Assert.Empty(await RawTracesAsync());
        Assert.Equal(otherRows.Count, (await UserWorkload.RowsAsync(world, other)).Count);
        Assert.Equal(otherBlobs, await UserWorkload.BlobsAsync(world, other));
        Assert.NotEmpty(await world.Storage.Expiry.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey ne {"cursor"}")));

        // The receipt counts what there was, per kind, and says nothing of who.
        foreach (var kind in usage.Kinds.Where(k => k.Kind != UsageReports.Orphan))
        {
            var erased = receipt.Erased.Single(k => k.Kind == kind.Kind);
            Assert.Equal((kind.Rows, kind.RowBytes), (erased.Rows, erased.RowBytes));
        }

        Assert.Equal(usage.Blobs, receipt.Erased.Sum(k => k.Blobs));
        Assert.Equal(usage.BlobBytes, receipt.Erased.Sum(k => k.BlobBytes));
        Assert.True(receipt.Erased.Single(k => k.Kind == "index.expiry").Rows >= 2);
        Assert.Equal(1, receipt.Erased.Single(k => k.Kind == "index.missionDue").Rows);
        var stored = await world.Storage.Jobs.FindAsync("erasure", world.Erasure.KeyOf(user));
        var text = JsonSerializer.Serialize(stored!.ToDictionary(p => p.Key, p => p.Value?.ToString()));
        Assert.DoesNotContain(UserId, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(user.Key, text, StringComparison.OrdinalIgnoreCase);
        AssertSame(receipt, await world.Erasure.GetAsync(world.Erasure.KeyOf(user), default));
    }

    [Fact]
    public async Task StartingAgain_ReturnsTheReceipt_WhileTheUserHasNoData_AndStartsAFreshJobOnceTheyDo()
    {
        await world.Settings.PutAsync(user, "ui", "a", "1", null, false, default);
        await world.Erasure.StartAsync(user, default);
        var receipt = await world.Erasure.RunAsync(user, default);

        AssertSame(receipt, await world.Erasure.StartAsync(user, default));
        AssertSame(receipt, await world.Erasure.RunAsync(user, default));

        await world.Settings.PutAsync(user, "ui", "b", "1", null, false, default);
        var again = await world.Erasure.StartAsync(user, default);
        Assert.False(again.Done);
        var second = await world.Erasure.RunAsync(user, default);
        Assert.Equal(1, second.Erased.Single(k => k.Kind == "setting").Rows);
    }

    [Fact]
    public async Task ALegalHold_RefusesErasure()
    {
        await world.Settings.PutAsync(user, "ui", "a", "1", null, false, default);
        await world.Holds.PlaceAsync(user, "litigation", default);

        await Assert.ThrowsAsync<LegalHoldException>(() => world.Erasure.StartAsync(user, default));
        Assert.NotEmpty(await UserWorkload.RowsAsync(world, user));
    }

    [Fact]
    public async Task WritesDuringTheJob_AreErasedByAnotherPass()
    {
        await UserWorkload.FillAsync(world, user);
        await world.Erasure.StartAsync(user, default);

        // The user writes after the rows are gone but before the job ends: the verification pass finds it and goes round again.
        var counting = 0;
        var writer = world.Over(options => options.AddPolicy(new OnRequest(request =>
        {
            if (request.Uri.ToString().Contains("/" + world.Storage.MissionDue.Name, StringComparison.Ordinal) && Interlocked.Increment(ref counting) == 1)
            {
                world.Settings.PutAsync(user, "late", "write", "1", null, false, default).GetAwaiter().GetResult();
            }
        }), Azure.Core.HttpPipelinePosition.PerCall));
        var receipt = await writer.Erasure.RunAsync(user, default);

        Assert.True(receipt.Done);
        Assert.Equal(2, receipt.Pass);
        Assert.Empty(await RawTracesAsync());
    }

    /// <summary>
    /// Every trace of the user, found by a raw scan of every table and the whole container (not through the
    /// registry): a key or name holding the user's key, or a property value holding their id or key.
    /// </summary>
    private async Task<List<string>> RawTracesAsync()
    {
        var traces = new List<string>();
        foreach (var table in new[] { world.Storage.Users, world.Storage.Expiry, world.Storage.Jobs, world.Storage.MissionDue })
        {
            foreach (var row in await table.ReadAllAsync())
            {
                var text = row.PartitionKey + "\n" + row.RowKey + "\n" + string.Join("\n", row.Where(p => !EntityLimits.IsReserved(p.Key)).Select(p => p.Value?.ToString()));
                if (text.Contains(user.Key, StringComparison.Ordinal) || text.Contains(UserId, StringComparison.OrdinalIgnoreCase))
                {
                    traces.Add($"{table.Name}: {row.PartitionKey} / {row.RowKey}");
                }
            }
        }

        traces.AddRange((await world.Storage.Payloads.ListNamesAsync(string.Empty)).Where(n => n.Contains(user.Key, StringComparison.Ordinal)));
        return traces;
    }

    private static void AssertSame(ErasureJob expected, ErasureJob? actual) => Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));

    /// <summary>Runs an action as each request goes out.</summary>
    private sealed class OnRequest(Action<Azure.Core.Request> action) : Azure.Core.Pipeline.HttpPipelineSynchronousPolicy
    {
        public override void OnSendingRequest(Azure.Core.HttpMessage message) => action(message.Request);
    }
}
