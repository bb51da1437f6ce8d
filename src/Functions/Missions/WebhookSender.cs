using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Missions;

/// <summary>The outcome of one delivery attempt.</summary>
/// <param name="Succeeded">2xx.</param>
/// <param name="HttpStatus">The status, or null when no response arrived.</param>
/// <param name="Error">What failed, or null.</param>
/// <param name="ResponseExcerpt">The body's first KiB as text, or null.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Retryable">Whether a later attempt may succeed (5xx, 408, 429, timeout, network).</param>
public sealed record DeliveryResult(bool Succeeded, int? HttpStatus, string? Error, string? ResponseExcerpt, TimeSpan Duration, bool Retryable);

/// <summary>What to deliver.</summary>
/// <param name="Url">Target.</param>
/// <param name="Headers">Extra headers.</param>
/// <param name="WebhookId">The firing id.</param>
/// <param name="Timestamp">Unix seconds of this attempt.</param>
/// <param name="Body">UTF-8 JSON body.</param>
/// <param name="Secrets">Secrets that sign (current, and the previous during a rotation grace).</param>
public sealed record WebhookDelivery(string Url, IReadOnlyDictionary<string, string> Headers, string WebhookId, long Timestamp, byte[] Body, IReadOnlyList<byte[]> Secrets);

/// <summary>Sends Standard Webhooks requests through the SSRF-guarded handler, never following redirects.</summary>
public sealed class WebhookSender : IDisposable
{
    /// <summary>Most response bytes kept for the run log.</summary>
    public const int ExcerptBytes = 1024;

    private readonly HttpClient client;
    private readonly MissionOptions options;

    /// <summary>Creates the sender and its guarded client.</summary>
    public WebhookSender(IOptions<MissionOptions> options)
    {
        this.options = options.Value;
        client = new HttpClient(SsrfGuard.CreateHandler(this.options), disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>Delivers once; never throws for anything the receiver or network does.</summary>
    public async Task<DeliveryResult> SendAsync(WebhookDelivery delivery, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.DeliveryTimeout);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url);
            foreach (var (name, value) in delivery.Headers)
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            request.Headers.TryAddWithoutValidation("webhook-id", delivery.WebhookId);
            request.Headers.TryAddWithoutValidation("webhook-timestamp", delivery.Timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
            request.Headers.TryAddWithoutValidation("webhook-signature", WebhookSignature.Sign(delivery.WebhookId, delivery.Timestamp, delivery.Body, delivery.Secrets));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("serverless-missions", "1"));
            request.Content = new ByteArrayContent(delivery.Body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            var excerpt = await ReadExcerptAsync(response, timeout.Token).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var ok = status is >= 200 and < 300;
            var error = ok ? null : status is >= 300 and < 400 ? $"Redirect ({status}) not followed." : $"Receiver answered {status}.";
            return new DeliveryResult(ok, status, error, excerpt, watch.Elapsed, !ok && (status >= 500 || status is 408 or 429));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DeliveryResult(false, null, $"Timed out after {options.DeliveryTimeout.TotalSeconds:0.#} s.", null, watch.Elapsed, true);
        }
        catch (HttpRequestException e) when (FindBlocked(e) is { } blocked)
        {
            return new DeliveryResult(false, null, blocked.Message, null, watch.Elapsed, false);
        }
        catch (HttpRequestException e)
        {
            return new DeliveryResult(false, null, "Network error: " + e.Message, null, watch.Elapsed, true);
        }
    }

    /// <inheritdoc />
    public void Dispose() => client.Dispose();

    private static BlockedAddressException? FindBlocked(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is BlockedAddressException blocked)
            {
                return blocked;
            }
        }

        return null;
    }

    private static async Task<string?> ReadExcerptAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Read at most one KiB: a receiver that streams a huge body must not cost us memory or time.
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        var buffer = new byte[ExcerptBytes];
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(read), cancellationToken).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        if (read == 0)
        {
            return null;
        }

        // Cut back to a whole UTF-8 character so the stored text is valid.
        var end = read;
        while (end > 0 && end < read + 1 && read == buffer.Length && (buffer[end - 1] & 0xC0) == 0x80)
        {
            end--;
        }

        if (read == buffer.Length && end > 0 && buffer[end - 1] >= 0xC0)
        {
            end--;
        }

        return Encoding.UTF8.GetString(buffer, 0, end);
    }
}
