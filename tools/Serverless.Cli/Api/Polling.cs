using System.Net;

namespace Serverless.Cli.Api;

/// <summary>
/// Waits for a job resource: the server answers 202 (with <c>Retry-After</c>) while its jobs timer works and 200 with
/// the result when done (design.md §2: the client polls a job resource).
/// </summary>
public static class Polling
{
    /// <summary>The longest pause between two polls, whatever <c>Retry-After</c> says, so progress stays current.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromSeconds(5);

    /// <summary>GETs <paramref name="path"/> until <paramref name="done"/> says the answer is final, or <paramref name="timeout"/> passes.</summary>
    public static async Task<ApiAnswer> UntilAsync(ApiClient client, string path, Func<ApiAnswer, bool> done, TimeSpan timeout, Action<ApiAnswer>? onAnswer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(done);
        var deadline = DateTimeOffset.UtcNow + timeout;
        var interval = TimeSpan.FromMilliseconds(250);
        while (true)
        {
            var answer = await client.GetAsync(path, cancellationToken);
            onAnswer?.Invoke(answer);
            if (done(answer))
            {
                return answer;
            }

            if (DateTimeOffset.UtcNow >= deadline)
            {
                throw new CliException(ExitCodes.Server, "job_timeout", $"{path} was not done within {timeout.TotalSeconds:0} s (the server's jobs timer carries on; run the command again later, or raise --wait).");
            }

            var wait = answer.Status == HttpStatusCode.Accepted && answer.RetryAfter is { } retry && retry < interval ? retry : interval;
            await Task.Delay(wait, cancellationToken);
            interval = TimeSpan.FromTicks(Math.Min(interval.Ticks * 2, MaxInterval.Ticks));
        }
    }
}
