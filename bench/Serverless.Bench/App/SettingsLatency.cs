using System.Diagnostics;
using System.Net;
using Azure.Data.Tables;
using Serverless.Storage.Tables;

namespace Serverless.Bench.App;

/// <summary>
/// A settings GET through the running server (HTTP, auth, routing, the store, JSON) against the same
/// row read straight from the table with our storage client, in the same run, one request in flight.
/// The two are interleaved in rounds so that a slow spell of the machine hits both alike.
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
    public static async Task<(LatencySample Api, LatencySample Table)> MeasureAsync(
        HttpClient api, string path, TableClient table, string partitionKey, string rowKey, int warmup, int requests)
    {
        for (var i = 0; i < warmup; i++)
        {
            await ApiGetAsync(api, path);
            await TableGetAsync(table, partitionKey, rowKey);
        }

        var apiSample = new LatencySample();
        var tableSample = new LatencySample();
        var perRound = Math.Max(1, requests / Rounds);
        for (var round = 0; round < Rounds; round++)
        {
            // Alternate which goes first, so neither always follows the other's garbage or cache state.
            if (round % 2 == 0)
            {
                await TimeAsync(apiSample, perRound, () => ApiGetAsync(api, path));
                await TimeAsync(tableSample, perRound, () => TableGetAsync(table, partitionKey, rowKey));
            }
            else
            {
                await TimeAsync(tableSample, perRound, () => TableGetAsync(table, partitionKey, rowKey));
                await TimeAsync(apiSample, perRound, () => ApiGetAsync(api, path));
            }
        }

        return (apiSample, tableSample);
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
