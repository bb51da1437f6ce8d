using System.Text;
using System.Text.Json;
using Serverless.Storage.Autosave;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Missions;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Autosave;

/// <summary>Autosave slots against Azurite: the largest state fits one row, a save is one request, slots expire.</summary>
public sealed class AutosaveStoreTests : IAsyncLifetime
{
    private readonly ManualClock clock = new(DateTimeOffset.UtcNow);
    private readonly UserPartition user = UserPartition.For("autosave|user");
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync(clock);

    public async Task DisposeAsync() => await world.DisposeAsync();

    /// <summary>
    /// The worst JSON for compression, one string of random printable characters of 1 MiB in all, does not fit a row: it
    /// goes to a blob, which the next such save replaces (deleting the old one); a later small state goes back inline, and
    /// the blob it leaves is an orphan the sweep collects.
    /// </summary>
    [Fact]
    public async Task TheLeastCompressibleState_GoesToABlob_ThatTheNextSaveReplaces()
    {
        var worst = LeastCompressible(1);
        var saved = await world.Autosaves.PutAsync(user, "worst", worst, null, false, default);
        var firstBlobs = await world.Storage.Payloads.ListNamesAsync(user.Key + "/autosave/");
        var worse = LeastCompressible(2);
        await world.Autosaves.PutAsync(user, "worst", worse, null, false, default);
        var secondBlobs = await world.Storage.Payloads.ListNamesAsync(user.Key + "/autosave/");
        var read = await world.Autosaves.GetAsync(user, "worst", default);

        Assert.Equal(AutosaveStore.MaxStateBytes, worst.Length);
        Assert.True(saved.StoredBytes > AutosaveStore.MaxInlineBytes, $"{saved.StoredBytes} stored bytes");
        Assert.Single(firstBlobs);
        Assert.Single(secondBlobs);
        Assert.NotEqual(firstBlobs, secondBlobs);
        Assert.Equal(worse, read!.StateJson.ToArray());

        var small = Encoding.UTF8.GetBytes("{\"view\":\"chat\"}");
        await world.Autosaves.PutAsync(user, "worst", small, null, false, default);
        Assert.Equal(small, (await world.Autosaves.GetAsync(user, "worst", default))!.StateJson.ToArray());
        clock.Now += TimeSpan.FromDays(2);
        Assert.Equal(secondBlobs, (await world.Orphans.RunUserAsync(user, TimeSpan.FromDays(1), dryRun: false, default)).Orphans);
    }

    [Fact]
    public async Task ATypicalState_StaysInTheRow()
    {
        var state = JsonSerializer.SerializeToUtf8Bytes(new { messages = Enumerable.Range(0, 3000).Select(i => new { role = "user", text = $"message number {i}" }) });

        var saved = await world.Autosaves.PutAsync(user, "typical", state, null, false, default);

        Assert.True(state.Length > AutosaveStore.MaxInlineBytes / 10);
        Assert.True(saved.StoredBytes < state.Length / 3, $"{saved.StoredBytes} of {state.Length}");
        Assert.Equal(state, (await world.Autosaves.GetAsync(user, "typical", default))!.StateJson.ToArray());
        Assert.Empty(await world.Storage.Payloads.ListNamesAsync(user.Key + "/"));
    }

    [Fact]
    public async Task ASave_IsOneStorageRequest_PlusOneIndexWritePerUserAndHour()
    {
        var counter = new RoundTripCounter();
        var counted = world.Over(counter.AddTo);
        var state = JsonSerializer.SerializeToUtf8Bytes(new { view = "chat", draft = new string('x', 20_000), scroll = 1234 });

        await counted.Autosaves.PutAsync(user, "hud", state, null, false, default);
        var first = counter.Reset();
        for (var i = 0; i < 10; i++)
        {
            await counted.Autosaves.PutAsync(user, "hud", state, null, false, default);
        }

        Assert.Equal(2, first);
        Assert.Equal(10, counter.Count);
    }

    /// <summary>A JSON string of random printable characters (no escapes), <see cref="AutosaveStore.MaxStateBytes"/> long.</summary>
    internal static byte[] LeastCompressible(int seed)
    {
        var random = new Random(seed);
        var text = new char[AutosaveStore.MaxStateBytes - 2];
        for (var i = 0; i < text.Length; i++)
        {
            char c;
            do
            {
                c = (char)random.Next(0x20, 0x7F);
            }
            while (c is '"' or '\\');
            text[i] = c;
        }

        return Encoding.UTF8.GetBytes("\"" + new string(text) + "\"");
    }

    [Fact]
    public async Task ASlot_ExpiresAfterItsLastSave_AndTheSweepDeletesIt()
    {
        var state = Encoding.UTF8.GetBytes("{\"n\":1}");
        await world.Autosaves.PutAsync(user, "a", state, null, false, default);
        clock.Now += TimeSpan.FromMinutes(20);
        await world.Autosaves.PutAsync(user, "b", state, null, false, default);
        clock.Now += TimeSpan.FromMinutes(15);

        Assert.Null(await world.Autosaves.GetAsync(user, "a", default));
        Assert.NotNull(await world.Autosaves.GetAsync(user, "b", default));

        clock.Now += TimeSpan.FromHours(2);
        var swept = await world.Sweep.RunAsync(false, 100, default);
        Assert.True(swept.Purged >= 1);
        Assert.Empty(await world.Storage.Users.ReadAllAsync(Serverless.Storage.Lifecycle.UserDataKinds.Autosave.Filter(user)));
    }
}
