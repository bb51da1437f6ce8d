using System.Buffers;
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Missions;

/// <summary>The outcome of one delivery attempt.</summary>
/// <param name="Succeeded">2xx.</param>
/// <param name="HttpStatus">The status, or null when no response arrived.</param>
/// <param name="Error">What failed, or null.</param>
/// <param name="Response">The response body as far as it was read, or null when no response arrived.</param>
/// <param name="Duration">How long it took.</param>
/// <param name="Retryable">Whether a later attempt may succeed (5xx, 408, 429, timeout, network).</param>
public sealed record DeliveryResult(bool Succeeded, int? HttpStatus, string? Error, CapturedResponse? Response, TimeSpan Duration, bool Retryable);

/// <summary>The part of a response body a delivery read: at most <see cref="MissionOptions.MaxResponseBodyBytes"/>.</summary>
/// <param name="Body">The bytes read, from the start of the body.</param>
/// <param name="Truncated">Whether the body went on past <paramref name="Body"/>: longer than the cap, or cut off by the timeout or a broken connection.</param>
/// <param name="ContentType">The response's Content-Type, when it parses and is at most <see cref="WebhookSender.MaxContentTypeChars"/> long; else null.</param>
public sealed record CapturedResponse(byte[] Body, bool Truncated, string? ContentType)
{
    /// <summary>The run log's excerpt of <see cref="Body"/> (<see cref="WebhookSender.ExcerptOf"/>).</summary>
    public string? Excerpt => WebhookSender.ExcerptOf(Body, whole: !Truncated);
}

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
    /// <summary>Most response bytes kept as text in the run row (the excerpt); a longer body goes to a blob.</summary>
    public const int ExcerptBytes = 1024;

    /// <summary>Longest Content-Type kept: it is stored in the run row and served back with the body.</summary>
    public const int MaxContentTypeChars = 256;

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
            var captured = await CaptureAsync(response, options.MaxResponseBodyBytes, timeout.Token, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var ok = status is >= 200 and < 300;
            var error = ok ? null : status is >= 300 and < 400 ? $"Redirect ({status}) not followed." : $"Receiver answered {status}.";
            return new DeliveryResult(ok, status, error, captured, watch.Elapsed, !ok && (status >= 500 || status is 408 or 429));
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

    /// <summary>
    /// The run log's excerpt of a body: its first <see cref="ExcerptBytes"/> as UTF-8 text, never ending in part of a
    /// character (stored text must be valid); null for an empty body. Invalid bytes become U+FFFD.
    /// </summary>
    /// <param name="body">The body, or its captured start.</param>
    /// <param name="whole">Whether <paramref name="body"/> is the whole body; if not, its end may split a character too.</param>
    public static string? ExcerptOf(ReadOnlySpan<byte> body, bool whole)
    {
        var excerpt = body[..Math.Min(body.Length, ExcerptBytes)];
        if (excerpt.Length < body.Length || !whole)
        {
            excerpt = excerpt[..WholeCharacters(excerpt)];
        }

        return excerpt.IsEmpty ? null : Encoding.UTF8.GetString(excerpt);
    }

    /// <summary>The length of the longest prefix of <paramref name="bytes"/> that does not end inside a UTF-8 sequence.</summary>
    private static int WholeCharacters(ReadOnlySpan<byte> bytes)
    {
        // Step back over at most 3 continuation bytes to the last lead byte, and keep its character only if all of it is there.
        var lead = bytes.Length - 1;
        while (lead >= 0 && bytes.Length - lead <= 3 && (bytes[lead] & 0xC0) == 0x80)
        {
            lead--;
        }

        if (lead < 0)
        {
            return bytes.Length;
        }

        var needed = bytes[lead] >= 0xF0 ? 4 : bytes[lead] >= 0xE0 ? 3 : bytes[lead] >= 0xC0 ? 2 : 1;
        return bytes.Length - lead >= needed ? bytes.Length : lead;
    }

    /// <summary>
    /// Reads the body up to <paramref name="cap"/> bytes. The status has arrived by now and decides the outcome, so a
    /// body that stalls past the timeout or breaks off keeps what came and is marked truncated, rather than turning an
    /// answered delivery into a failure that would be delivered again.
    /// </summary>
    private static async Task<CapturedResponse> CaptureAsync(HttpResponseMessage response, int cap, CancellationToken timeout, CancellationToken cancellationToken)
    {
        // One byte past the cap tells "exactly cap bytes" from "more"; nothing beyond it is read (disposing the response drops the rest).
        var buffer = ArrayPool<byte>.Shared.Rent(cap + 1);
        try
        {
            var read = 0;
            var ended = false;
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(timeout).ConfigureAwait(false);
                while (read <= cap)
                {
                    var n = await stream.ReadAsync(buffer.AsMemory(read, cap + 1 - read), timeout).ConfigureAwait(false);
                    if (n == 0)
                    {
                        ended = true;
                        break;
                    }

                    read += n;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The delivery timeout ran out mid-body.
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // The receiver closed or reset the connection mid-body.
            }

            return new CapturedResponse(buffer.AsSpan(0, Math.Min(read, cap)).ToArray(), !ended, ContentTypeOf(response));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string? ContentTypeOf(HttpResponseMessage response)
    {
        // Kept only when it parses: it is served back as the stored body's Content-Type.
        if (!response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var values) || values.Count != 1)
        {
            return null;
        }

        var raw = values.ToString();
        return raw.Length <= MaxContentTypeChars && MediaTypeHeaderValue.TryParse(raw, out var parsed) ? parsed.ToString() : null;
    }
}
