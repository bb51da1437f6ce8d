using System.Net;
using System.Text.Json;
using Serverless.Cli.Api;
using Serverless.Cli.Output;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// Follows an export or import job (<c>GET /api/v1/me/exports/{id}</c>, <c>/imports/{id}</c>) until it is
/// <c>done</c> or <c>failed</c>, with one progress bar per bundle kind (resources handled of the kind's total, once known).
/// </summary>
internal static class JobProgress
{
    /// <summary>Polls <paramref name="location"/> and returns the final job.</summary>
    public static async Task<JsonElement> FollowAsync(ApiClient client, string location, JsonElement first, ProgressContext? progress, TimeSpan wait, CancellationToken cancellationToken)
    {
        var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
        var phase = progress?.AddTask("queued", maxValue: 1);
        void Show(JsonElement job)
        {
            if (progress is null)
            {
                return;
            }

            phase!.Description = $"{Tables.Text(job, "type")}: {Tables.Text(job, "phase")}";
            var totals = job.TryGetProperty("totals", out var t) && t.ValueKind == JsonValueKind.Object ? t : default;
            if (job.TryGetProperty("progress", out var done) && done.ValueKind == JsonValueKind.Object)
            {
                foreach (var kind in done.EnumerateObject())
                {
                    if (!bars.TryGetValue(kind.Name, out var bar))
                    {
                        bars[kind.Name] = bar = progress.AddTask(kind.Name, maxValue: 1);
                    }

                    var total = totals.ValueKind == JsonValueKind.Object && totals.TryGetProperty(kind.Name, out var n) ? n.GetInt64() : 0;
                    bar.MaxValue = Math.Max(1, Math.Max(total, kind.Value.GetInt64()));
                    bar.Value = kind.Value.GetInt64();
                }
            }

            if (Final(job))
            {
                phase.Value = phase.MaxValue;
                foreach (var bar in bars.Values)
                {
                    bar.Value = bar.MaxValue;
                }
            }
        }

        Show(first);
        if (Final(first))
        {
            return first;
        }

        var answer = await Polling.UntilAsync(client, location, a => a.Status == HttpStatusCode.OK && Final(a.Body), wait, a => Show(a.Body), cancellationToken);
        return answer.Body;
    }

    /// <summary>Whether a job has ended.</summary>
    public static bool Final(JsonElement job) => Tables.Text(job, "state") is "done" or "failed";

    /// <summary>Fails the command for a failed job: a refused bundle is the input's fault (exit 6), anything else the server's (exit 8).</summary>
    public static void ThrowIfFailed(JsonElement job)
    {
        if (Tables.Text(job, "state") != "failed")
        {
            return;
        }

        var code = Tables.Text(job, "errorCode", "job_failed");
        throw new CliException(code.StartsWith("bundle_", StringComparison.Ordinal) ? ExitCodes.Validation : ExitCodes.Server, code, $"The {Tables.Text(job, "type")} job {Tables.Text(job, "id")} failed: {Tables.Text(job, "error", code)}");
    }
}
