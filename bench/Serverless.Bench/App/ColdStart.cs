using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;

namespace Serverless.Bench.App;

/// <summary>
/// One cold start of a published app: process start to the first 200 on <c>/api/health</c>, then
/// (for the server) to the first 200 of an authenticated settings read, which adds the first token
/// validation and the first storage round trip.
/// </summary>
internal static class ColdStart
{
    /// <summary>
    /// How often <c>/api/health</c> is polled. Finer than the host's 25 ms so the figure is the app's,
    /// not the poll's; a refused connection costs microseconds, so polling barely competes for the CPU.
    /// </summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Starts <paramref name="app"/>, times it, and kills it.</summary>
    /// <param name="app">The published app.</param>
    /// <param name="environment">Its environment.</param>
    /// <param name="settingsRead">For the server: the settings path to read and the bearer token to read it with.</param>
    public static async Task<ColdStartRun> MeasureAsync(PublishedApp app, IReadOnlyDictionary<string, string> environment, (string Path, string Token)? settingsRead)
    {
        var watch = Stopwatch.StartNew();
        await using var process = AppProcess.Start(app, environment);

        // A fresh handler per run: the first request of a real cold start has no pooled connection either.
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(2) })
        {
            BaseAddress = process.BaseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

        var health = await FirstOkAsync(client, process, watch);
        TimeSpan? firstRead = null;
        if (settingsRead is { } read)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, read.Path);
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", read.Token);
            using var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            firstRead = watch.Elapsed;
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"the first settings read answered {(int)response.StatusCode}: {body}\n{process.Output()}");
            }
        }

        return new ColdStartRun(health, firstRead);
    }

    private static async Task<TimeSpan> FirstOkAsync(HttpClient client, AppProcess process, Stopwatch watch)
    {
        while (watch.Elapsed < Patience)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{process.BaseAddress} exited before answering /api/health:\n{process.Output()}");
            }

            try
            {
                using var response = await client.GetAsync("api/health");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return watch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet: the same as the host's "socket error means wait".
            }

            await Task.Delay(PollInterval);
        }

        throw new TimeoutException($"no 200 on /api/health within {Patience.TotalSeconds:0} s:\n{process.Output()}");
    }
}

/// <summary>The times of one cold start, from process start.</summary>
/// <param name="Health">To the first 200 on <c>/api/health</c>.</param>
/// <param name="FirstSettingsRead">To the first 200 of an authenticated settings read, when one was made.</param>
internal sealed record ColdStartRun(TimeSpan Health, TimeSpan? FirstSettingsRead);
