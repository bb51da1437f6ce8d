using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Conversations;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Conversations;

/// <summary>
/// <c>GET /api/v1/threads/{threadId}/transcript</c>: the whole thread, fork ancestry included, as
/// NDJSON (one message per line, in sequence order). Memory stays bounded whatever the length:
/// it reads rows 100 at a time, inflates offloaded texts a few messages ahead of what it writes,
/// and sends the NDJSON in units of about <see cref="FlushBytes"/>; it compresses with br or gzip
/// as Accept-Encoding prefers (<see cref="ChooseEncoding"/>).
/// </summary>
public static partial class TranscriptEndpoint
{
    /// <summary>Messages read per storage page.</summary>
    public const int PageSize = 100;

    /// <summary>
    /// NDJSON collected before it goes out as one flushed unit. Every flush ends a compressed block: one write and flush
    /// per message made br several times larger than compressing the same bytes at once; per 64 KiB it costs under 2 %
    /// (with <see cref="BrotliQuality"/>), and the client still receives the transcript as it is read.
    /// </summary>
    public const int FlushBytes = 64 * 1024;

    /// <summary>
    /// Brotli quality of the stream: 2, not CompressionLevel.Fastest (1). Qualities 0 and 1 compress each write as
    /// fragments of their own, so even 64 KiB units came out 10-20 % larger than one write of the whole transcript;
    /// from 2 on, the window and hash tables carry across writes and flushes. Measured on 4-6 MB transcripts
    /// (the bench's <c>compression</c> part reports the sizes): quality 2 sends 9-33 % fewer bytes than 1 at 60-75 %
    /// of its speed, still 85-260 MB/s on one core, well above what the storage reads deliver.
    /// </summary>
    public const int BrotliQuality = 2;

    /// <summary>The transcript, relative to the <c>api</c> route prefix (as the function's route is).</summary>
    public const string Route = "v1/threads/{threadId}/transcript";

    /// <summary>Maps the operation onto the local server's <c>/api</c> group, named as its function.</summary>
    public static void Map(RouteGroupBuilder threads) =>
        threads.MapGet(Route, GetTranscript).WithName(nameof(MessageFunctions.GetTranscript)).WithSummary("Streams the whole thread as NDJSON (br/gzip per Accept-Encoding).")
            .Answers<MessageView>(StatusCodes.Status200OK, "application/x-ndjson").ProducesProblems(400, 404);

    /// <summary>GET the transcript.</summary>
    public static async Task<IResult> GetTranscript(string threadId, HttpRequest request, HttpResponse response, CurrentUser user, ThreadStore threads, MessageStore store, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        if (ThreadEndpoints.InvalidId(threadId) is { } invalid)
        {
            return invalid;
        }

        var thread = await threads.GetAsync(user.Partition, threadId, cancellationToken);
        if (thread is null || thread.IsDeleted)
        {
            return Problems.NotFound("thread");
        }

        var encoding = ChooseEncoding(request.Headers.AcceptEncoding.ToString());
        response.Headers.Vary = "Accept-Encoding";
        if (encoding is not null)
        {
            response.Headers.ContentEncoding = encoding;
        }

        var partition = user.Partition;
        return Results.Stream(
            async body =>
            {
                var output = encoding switch
                {
                    "br" => new BrotliStream(body, new BrotliCompressionOptions { Quality = BrotliQuality }, leaveOpen: true),
                    "gzip" => new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true),
                    _ => body,
                };
                try
                {
                    // Messages are serialized into this buffer, never straight into the output: the serializer flushes
                    // the stream it writes to after every message.
                    var unit = new MemoryStream(FlushBytes + (FlushBytes / 4));
                    await foreach (var item in store.StreamAsync(partition, thread, PageSize, cancellationToken))
                    {
                        JsonSerializer.Serialize(unit, MessageView.From(item), json.Value.SerializerOptions);
                        unit.WriteByte((byte)'\n');
                        if (unit.Length >= FlushBytes)
                        {
                            unit = await SendAsync(unit, output, cancellationToken);
                        }
                    }

                    await SendAsync(unit, output, cancellationToken);
                }
                finally
                {
                    if (!ReferenceEquals(output, body))
                    {
                        await output.DisposeAsync();
                    }
                }
            },
            "application/x-ndjson");
    }

    /// <summary>Writes and flushes the collected unit; returns the buffer for the next one.</summary>
    private static async Task<MemoryStream> SendAsync(MemoryStream unit, Stream output, CancellationToken cancellationToken)
    {
        await output.WriteAsync(unit.GetBuffer().AsMemory(0, (int)unit.Length), cancellationToken);
        await output.FlushAsync(cancellationToken);

        // One huge message (up to ~12 MB of JSON) grows the buffer to its size; do not hold that for the rest of the
        // stream. Up to 1 MiB is kept, so long offloaded messages do not allocate a new buffer each.
        if (unit.Capacity > 16 * FlushBytes)
        {
            return new MemoryStream(FlushBytes + (FlushBytes / 4));
        }

        unit.SetLength(0);
        return unit;
    }

    /// <summary>
    /// The content coding for <paramref name="acceptEncoding"/>: the highest q among br, gzip (or x-gzip) and identity,
    /// ties preferring br, then gzip, then identity; <c>*</c> stands for any coding not listed, q=0 (or an invalid q)
    /// makes a coding unacceptable. Identity that is not listed stays acceptable as the last resort, and is also the
    /// answer when nothing is acceptable (RFC 9110 §12.5.3). Null means identity.
    /// </summary>
    internal static string? ChooseEncoding(string acceptEncoding)
    {
        double? br = null, gzip = null, identity = null, any = null;
        foreach (var entry in acceptEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parameters = entry.Split(';', StringSplitOptions.TrimEntries);
            var q = Quality(parameters.AsSpan(1));
            switch (parameters[0].ToLowerInvariant())
            {
                case "br": br = q; break;
                case "gzip" or "x-gzip": gzip = q; break;
                case "identity": identity = q; break;
                case "*": any = q; break;
            }
        }

        // Ordered by preference, so that a tie keeps the earlier one.
        (string? Coding, double Q)[] candidates = [("br", br ?? any ?? 0), ("gzip", gzip ?? any ?? 0), (null, identity ?? any ?? 0)];
        var best = candidates.Aggregate((chosen, next) => next.Q > chosen.Q ? next : chosen);
        return best.Q > 0 ? best.Coding : null;
    }

    /// <summary>The q parameter (RFC 9110 §12.4.2: 0 to 1, at most three decimals); 1 when absent, 0 when invalid.</summary>
    private static double Quality(ReadOnlySpan<string> parameters)
    {
        foreach (var parameter in parameters)
        {
            var equals = parameter.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0 || !parameter[..equals].Trim().Equals("q", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var value = parameter[(equals + 1)..].Trim();
            return QValue().IsMatch(value) ? double.Parse(value, CultureInfo.InvariantCulture) : 0;
        }

        return 1;
    }

    [GeneratedRegex(@"^(0(\.[0-9]{0,3})?|1(\.0{0,3})?)$")]
    private static partial Regex QValue();
}
