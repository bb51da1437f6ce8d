using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Bench.Conversations;
using Serverless.Storage.Autosave;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Artifacts;

/// <summary>
/// <c>autosave</c>: what a save every 5 seconds costs. Through the API: p50/p95 of <c>PUT /api/v1/autosave/{slot}</c>
/// (sequential, one slot, replacing its state) for a typical side-panel state (about 4 KiB of JSON) and a large one
/// (about 256 KiB), and of the GET that recovers it. On the store: the storage requests per save, counted on the
/// pipeline of its clients: the first save of an hour (which also writes the hour's expiry entry), the saves after it,
/// and a state that does not compress into the row (1 MiB of random printable text, which goes to a blob).
/// </summary>
internal static class AutosavePart
{
    private const int Saves = 200;

    public static async Task RunAsync(ArtifactsDeployment deployment, RunningApp app)
    {
        (string Label, byte[] State)[] states = [("typical state", State(4 * 1024, 1)), ("large state", State(256 * 1024, 2))];
        foreach (var (label, state) in states)
        {
            Figures.Progress($"autosave {label}: {Saves} saves through the API");
            var put = new LatencySample();
            var get = new LatencySample();
            var body = Encoding.UTF8.GetBytes($"{{\"state\":{Encoding.UTF8.GetString(state)}}}");
            for (var i = 0; i < Saves + 10; i++)
            {
                var watch = Stopwatch.StartNew();
                using (var content = new ByteArrayContent(body))
                {
                    content.Headers.ContentType = new("application/json");
                    using var response = await app.Client.PutAsync("api/v1/autosave/bench", content);
                    Expect(response, HttpStatusCode.OK);
                }

                var putTime = watch.Elapsed;
                watch.Restart();
                using (var response = await app.Client.GetAsync("api/v1/autosave/bench"))
                {
                    Expect(response, HttpStatusCode.OK);
                    await response.Content.ReadAsByteArrayAsync();
                }

                // The first 10 warm up (JIT, connections, the hour's expiry entry).
                if (i >= 10)
                {
                    put.Add(putTime);
                    get.Add(watch.Elapsed);
                }
            }

            Figures.Write($"autosave {label}: JSON bytes", state.Length);
            Figures.Write($"autosave {label}: PUT p50 ms", put.Percentile(0.5), "0.0");
            Figures.Write($"autosave {label}: PUT p95 ms", put.Percentile(0.95), "0.0");
            Figures.Write($"autosave {label}: GET p50 ms", get.Percentile(0.5), "0.0");
        }

        await CountRequestsAsync(deployment.Azurite, states);
    }

    /// <summary>Storage requests per save, on the store itself over counted clients (tables and a container of its own).</summary>
    private static async Task CountRequestsAsync(Azurite azurite, (string Label, byte[] State)[] states)
    {
        var counter = new RoundTripCounter();
        var account = azurite.Connect(counter.AddTo);
        var users = account.Tables.GetTableClient(Azurite.UniqueName("asu"));
        var expiryTable = account.Tables.GetTableClient(Azurite.UniqueName("ase"));
        var blobs = account.Blobs.GetBlobContainerClient(Azurite.UniqueName("asp"));
        await users.CreateIfNotExistsAsync();
        await expiryTable.CreateIfNotExistsAsync();
        await blobs.CreateIfNotExistsAsync();
        try
        {
            var expiry = new ExpiryIndex(expiryTable, new SettingsStore(users), new RetentionPolicy(), TimeProvider.System);
            var store = new AutosaveStore(users, new PayloadStore(blobs), expiry, TimeProvider.System);
            var user = UserPartition.For("bench-autosave");
            foreach (var (label, state) in states)
            {
                var slot = label.Replace(' ', '-');
                counter.Reset();
                var first = await store.PutAsync(user, slot, state, null, false, default);
                var firstRequests = counter.Reset();
                for (var i = 0; i < 100; i++)
                {
                    await store.PutAsync(user, slot, state, null, false, default);
                }

                Figures.Write($"autosave {label}: stored bytes (in the row)", first.StoredBytes);
                Figures.Write($"autosave {label}: storage requests, first save of the user's hour", firstRequests);
                Figures.Write($"autosave {label}: storage requests per later save", counter.Reset() / 100.0, "0.00");
            }

            var random = RandomPrintable(AutosaveStore.MaxStateBytes);
            await store.PutAsync(user, "random", random, null, false, default);
            counter.Reset();
            var saved = await store.PutAsync(user, "random", random, null, false, default);
            Figures.Write("autosave 1 MiB random text: stored bytes (in a blob)", saved.StoredBytes);
            Figures.Write("autosave 1 MiB random text: storage requests per save (read row, upload blob, write row, delete old blob)", counter.Reset());
        }
        finally
        {
            await users.DeleteAsync();
            await expiryTable.DeleteAsync();
            await blobs.DeleteIfExistsAsync();
        }
    }

    /// <summary>A side panel's recovery state of about <paramref name="bytes"/>: the view, scroll positions, open drafts.</summary>
    private static byte[] State(int bytes, int seed)
    {
        var random = new Random(seed);
        var drafts = new List<object>();
        while (JsonSerializer.SerializeToUtf8Bytes(drafts).Length < bytes - 200)
        {
            drafts.Add(new { thread = $"t{random.Next(100_000):D5}", text = ChatText.Make(random.Next(), random.Next(40, 400)), caret = random.Next(400), scroll = random.Next(9000) });
        }

        return JsonSerializer.SerializeToUtf8Bytes(new { view = "chat", panel = "tools", width = 420, drafts });
    }

    /// <summary>A JSON string of random printable characters, <paramref name="bytes"/> long in all: the least compressible state.</summary>
    private static byte[] RandomPrintable(int bytes)
    {
        var random = new Random(5);
        var text = new StringBuilder(bytes);
        text.Append('"');
        while (text.Length < bytes - 1)
        {
            var c = (char)random.Next(0x20, 0x7F);
            if (c is not ('"' or '\\'))
            {
                text.Append(c);
            }
        }

        return Encoding.ASCII.GetBytes(text.Append('"').ToString());
    }

    private static void Expect(HttpResponseMessage response, HttpStatusCode status)
    {
        if (response.StatusCode != status)
        {
            throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}");
        }
    }
}
