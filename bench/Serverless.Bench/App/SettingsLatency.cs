using System.Diagnostics;
using System.Net;
using Azure.Data.Tables;
using Serverless.Storage.Tables;

namespace Serverless.Bench.App;

/// <summary>
/// A settings GET three ways in the same run, one request in flight: through the running local server
/// (HTTP, auth, routing, the store, JSON), as the <c>[Function]</c> invoked in-process through the
/// worker middleware, and as the bare table read of the same row with our storage client. Interleaved
/// in rounds, rotating the order, so that a slow spell of the machine hits all three alike.
/// </summary>
internal static class SettingsLatency
{
    public const int Rounds = 20;

    /// <param name="api">A client for the server with the user's bearer token set.</param>
    /// <param name="path">The setting's path.</param>
    /// <param name="table">The server's user table.</param>
    /// <param name="partitionKey">The user's partition.</param>
    /// <param name="rowKey">The setting's row.</param>
    /// <param name="warmup">Untimed operations of each kind first (JIT, connection pools).</param>
    /// <param name="requests">Timed operations of each kind.</param>
    /// <param name="function">One in-process invocation of the setting's <c>[Function]</c>.</param>
    public static async Task<(LatencySample Api, LatencySample Function, LatencySample Table)> MeasureAsync(
        HttpClient api, string path, Func<Task> function, TableClient table, string partitionKey, string rowKey, int warmup, int requests)
    {
        Func<Task>[] operations = [() => ApiGetAsync(api, path), function, () => TableGetAsync(table, partitionKey, rowKey)];
        for (var i = 0; i < warmup; i++)
        {
            foreach (var operation in operations)
            {
                await operation();
            }
        }

        LatencySample[] samples = [new(), new(), new()];
        var perRound = Math.Max(1, requests / Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            // Rotate which goes first, so none always follows another's garbage or cache state.
            for (var k = 0; k < operations.Length; k++)
            {
                var which = (round + k) % operations.Length;
                await TimeAsync(samples[which], perRound, operations[which]);
            }
        }

        return (samples[0], samples[1], samples[2]);
    }

    private static async Task TimeAsync(LatencySample sample, int count, Func<Task> operation)
    {
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await operation();
            sample.Add(Stopwatch.GetElapsedTime(started));
        }
    }

    private static async Task ApiGetAsync(HttpClient api, string path)
    {
        using var response = await api.GetAsync(path, HttpCompletionOption.ResponseContentRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }

    private static async Task TableGetAsync(TableClient table, string partitionKey, string rowKey)
    {
        _ = await table.FindAsync(partitionKey, rowKey) ?? throw new InvalidOperationException("the setting's row is missing");
    }
}
