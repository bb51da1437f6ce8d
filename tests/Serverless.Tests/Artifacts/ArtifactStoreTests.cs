using System.Security.Cryptography;
using System.Text;
using Azure.Data.Tables;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Lifecycle;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Artifacts;

/// <summary>The artifact store against Azurite: uploads that fail, the quota under races, expiry, copies kept in step, ranges.</summary>
public sealed class ArtifactStoreTests : IAsyncLifetime
{
    private const long Quota = 1000;
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private readonly UserPartition user = UserPartition.For("artifact|user/1");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync(clock);

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public async Task AnUploadThatNeverCommits_LeavesNoRow_AndOnlyABlobTheOrphanSweepDeletesAfterItsGrace()
    {
        // A process that dies after the content's blob is written, before its rows commit.
        var reservation = await world.Artifacts.ReserveAsync(user, 100, 100, Quota, 4, TimeSpan.FromMinutes(10), default);
        using (var body = new MemoryStream(new byte[100]))
        {
            await world.Artifacts.WriteContentAsync(user, ArtifactStore.NewId(clock.Now), body, "image/png", default);
        }

        var (listed, _) = await world.Artifacts.ListAsync(user, null, null, 10, null, default);
        Assert.Empty(listed);
        Assert.Equal(0, await world.Artifacts.StoredBytesAsync(user, default));
        var blobs = await world.Storage.Payloads.ListNamesAsync(user.Key + "/art/");
        Assert.Single(blobs);

        var young = await world.Orphans.RunUserAsync(user, TimeSpan.FromDays(1), dryRun: false, default);
        Assert.Empty(young.Orphans);
        Assert.Single(await world.Storage.Payloads.ListNamesAsync(user.Key + "/art/"));

        clock.Now += TimeSpan.FromDays(2);
        var old = await world.Orphans.RunUserAsync(user, TimeSpan.FromDays(1), dryRun: false, default);
        Assert.Equal(blobs, old.Orphans);
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(user.Key + "/art/"));

        // Its reservation lapsed: the whole quota is free again.
        Assert.Equal(Quota, (await world.Artifacts.ReserveAsync(user, Quota, Quota, Quota, 4, TimeSpan.FromMinutes(10), default)).Bytes);
        _ = reservation;
    }

    [Fact]
    public async Task ConcurrentReservations_NeverTakeMoreThanTheQuota()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 12).Select(async _ =>
        {
            try
            {
                return await world.Artifacts.ReserveAsync(user, 300, 300, Quota, 100, TimeSpan.FromMinutes(10), default);
            }
            catch (ArtifactQuotaExceededException)
            {
                return null;
            }
        }));

        var granted = attempts.OfType<QuotaReservation>().ToList();
        Assert.Equal(3, granted.Count);
        foreach (var reservation in granted)
        {
            await CommitAsync(reservation, new byte[300]);
        }

        Assert.Equal(900, await world.Artifacts.StoredBytesAsync(user, default));
        await Assert.ThrowsAsync<ArtifactQuotaExceededException>(() => world.Artifacts.ReserveAsync(user, 101, 101, Quota, 100, TimeSpan.FromMinutes(10), default));
        Assert.Equal(100, (await world.Artifacts.ReserveAsync(user, null, 500, Quota, 100, TimeSpan.FromMinutes(10), default)).Bytes);
    }

    [Fact]
    public async Task AReservationIsGivenBack_AndALapsedOneIsDecidedAgainAtCommit()
    {
        var first = await world.Artifacts.ReserveAsync(user, 800, 800, Quota, 4, TimeSpan.FromMinutes(1), default);
        await Assert.ThrowsAsync<ArtifactQuotaExceededException>(() => world.Artifacts.ReserveAsync(user, 800, 800, Quota, 4, TimeSpan.FromMinutes(1), default));
        await world.Artifacts.ReleaseAsync(user, first, default);
        var second = await world.Artifacts.ReserveAsync(user, 800, 800, Quota, 4, TimeSpan.FromMinutes(1), default);

        // The second upload outlives its reservation; a third takes the quota meanwhile; the second's commit is refused.
        clock.Now += TimeSpan.FromMinutes(2);
        var third = await world.Artifacts.ReserveAsync(user, 800, 800, Quota, 4, TimeSpan.FromMinutes(1), default);
        await Assert.ThrowsAsync<ArtifactQuotaExceededException>(() => CommitAsync(second, new byte[800]));
        await CommitAsync(third, new byte[800]);

        Assert.Equal(800, await world.Artifacts.StoredBytesAsync(user, default));
    }

    [Fact]
    public async Task TooManyUploadsInFlight_AreRefused()
    {
        await world.Artifacts.ReserveAsync(user, 1, 1, Quota, 2, TimeSpan.FromMinutes(1), default);
        await world.Artifacts.ReserveAsync(user, 1, 1, Quota, 2, TimeSpan.FromMinutes(1), default);

        var busy = await Assert.ThrowsAsync<ArtifactUploadsBusyException>(() => world.Artifacts.ReserveAsync(user, 1, 1, Quota, 2, TimeSpan.FromMinutes(1), default));
        Assert.Equal(2, busy.InFlight);
    }

    [Fact]
    public async Task ASnapshotExpires_WithItsIndexCopiesAndBlob_WhileAStarredOneStays()
    {
        var expiring = await UserWorkload.UploadAsync(world, user, "snapshot", "thread:t1", clock.Now.AddDays(30), "application/json", Encoding.UTF8.GetBytes("{\"a\":1}"));
        var starred = await UserWorkload.UploadAsync(world, user, "snapshot", "thread:t1", null, "application/json", Encoding.UTF8.GetBytes("{\"b\":2}"));

        clock.Now += TimeSpan.FromDays(29);
        Assert.Equal(0, (await world.Sweep.RunAsync(false, 100, default)).Purged);
        clock.Now += TimeSpan.FromDays(2);
        var swept = await world.Sweep.RunAsync(false, 100, default);

        Assert.Equal(1, swept.Purged);
        Assert.Null(await world.Artifacts.GetAsync(user, expiring.Id, default));
        Assert.NotNull(await world.Artifacts.GetAsync(user, starred.Id, default));
        Assert.Equal([starred.Id], (await world.Artifacts.ListAsync(user, "snapshot", null, 10, null, default)).Items.Select(a => a.Id));
        Assert.Equal([starred.Id], (await world.Artifacts.ListAsync(user, null, "thread:t1", 10, null, default)).Items.Select(a => a.Id));
        Assert.Equal([starred.Content.BlobName], await world.Storage.Payloads.ListNamesAsync(user.Key + "/art/"));
        var rows = await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Artifact + "|"));
        Assert.DoesNotContain(rows, r => r.RowKey.Contains(expiring.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task MetadataChangesAndDeletes_KeepTheIndexCopiesInStep()
    {
        var artifact = await UserWorkload.UploadAsync(world, user, "diff", "run:r1", null, "text/x-diff", Encoding.UTF8.GetBytes("--- a\n+++ b\n"));

        var renamed = await world.Artifacts.UpdateAsync(user, artifact.Id, artifact.ETag, (a, _) => a with { Name = "renamed.diff", Starred = true }, default);

        Assert.NotNull(renamed);
        Assert.All(
            [(await world.Artifacts.ListAsync(user, "diff", null, 10, null, default)).Items.Single(), (await world.Artifacts.ListAsync(user, null, "run:r1", 10, null, default)).Items.Single()],
            copy => Assert.Equal(("renamed.diff", true), (copy.Name, copy.Starred)));
        await Assert.ThrowsAsync<Azure.RequestFailedException>(() => world.Artifacts.UpdateAsync(user, artifact.Id, artifact.ETag, (a, _) => a, default));

        Assert.NotNull(await world.Artifacts.DeleteAsync(user, artifact.Id, renamed.ETag, default));
        Assert.Equal([UserRowKeys.ArtifactReservations], (await world.Storage.Users.ReadAllAsync(TableFilters.RowKeyStartsWith(user.Key, UserRowKeys.Artifact + "|"))).Select(r => r.RowKey));
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(user.Key + "/art/"));
        Assert.Null(await world.Artifacts.DeleteAsync(user, artifact.Id, null, default));
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/octet-stream")]
    public async Task AnyRangeReadsTheSameBytes_CompressedOrStoredAsIs(string contentType)
    {
        var content = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i}\n")));
        var artifact = await UserWorkload.UploadAsync(world, user, "log", null, null, contentType, content);
        Assert.Equal(contentType == "text/plain", artifact.Content.StoredBytes < content.Length);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), artifact.Content.Sha256);

        foreach (var (offset, length) in new (long, long?)[] { (0, 10), (1000, 5000), (content.Length - 7, null), (0, null), (12345, 1) })
        {
            await using var stream = await world.Artifacts.OpenContentAsync(artifact, offset, length, default);
            using var read = new MemoryStream();
            await stream.CopyToAsync(read);
            Assert.Equal(content.AsSpan((int)offset, (int)(length ?? (content.Length - offset))).ToArray(), read.ToArray());
        }
    }

    private async Task<ArtifactRecord> CommitAsync(QuotaReservation reservation, byte[] content)
    {
        var id = ArtifactStore.NewId(clock.Now);
        using var body = new MemoryStream(content);
        var stored = await world.Artifacts.WriteContentAsync(user, id, body, "application/octet-stream", default);
        return await world.Artifacts.CommitAsync(user, new ArtifactRecord(id, "attachment", "a.bin", null, false, null, clock.Now, clock.Now, stored), reservation, Quota, null, default);
    }
}
