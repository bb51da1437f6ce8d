using System.Text.Json;
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
/// as Accept-Encoding prefers (<see cref="ContentCoding.Choose"/>), which <see cref="JsonCompression"/> then leaves alone.
/// </summary>
public static class TranscriptEndpoint
{
    /// <summary>Messages read per storage page.</summary>
    public const int PageSize = 100;

    /// <summary>
    /// NDJSON collected before it goes out as one flushed unit. Every flush ends a compressed block: one write and flush
    /// per message made br several times larger than compressing the same bytes at once; per 64 KiB it costs under 2 %
    /// (with <see cref="ContentCoding.BrotliQuality"/>), and the client still receives the transcript as it is read.
    /// </summary>
    public const int FlushBytes = 64 * 1024;

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

        var encoding = ContentCoding.Choose(request.Headers.AcceptEncoding.ToString());
        response.Headers.Vary = "Accept-Encoding";
        if (encoding is not null)
        {
            response.Headers.ContentEncoding = encoding;
        }

        var partition = user.Partition;
        return Results.Stream(
            async body =>
            {
                var output = encoding is null ? body : ContentCoding.Compressor(encoding, body);
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
}
