using System.IO.Compression;
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
/// and flushes each page; it compresses with br or gzip when Accept-Encoding allows.
/// </summary>
public static class TranscriptEndpoint
{
    private static readonly ReadOnlyMemory<byte> NewLine = "\n"u8.ToArray();

    /// <summary>Messages read per storage page.</summary>
    public const int PageSize = 100;

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
                    "br" => new BrotliStream(body, CompressionLevel.Fastest, leaveOpen: true),
                    "gzip" => new GZipStream(body, CompressionLevel.Fastest, leaveOpen: true),
                    _ => body,
                };
                try
                {
                    var written = 0;
                    await foreach (var item in store.StreamAsync(partition, thread, PageSize, cancellationToken))
                    {
                        await JsonSerializer.SerializeAsync(output, MessageView.From(item), json.Value.SerializerOptions, cancellationToken);
                        await output.WriteAsync(NewLine, cancellationToken);

                        // Flush per page, and after every offloaded text, so a large message never waits in the buffer.
                        if (++written % PageSize == 0 || item.ContentOffloaded || item.ToolCallsOffloaded)
                        {
                            await output.FlushAsync(cancellationToken);
                        }
                    }

                    await output.FlushAsync(cancellationToken);
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

    /// <summary>br, then gzip, when the client accepts them (q=0 refuses); null for identity.</summary>
    internal static string? ChooseEncoding(string acceptEncoding)
    {
        var accepted = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in acceptEncoding.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var pieces = part.Split(';', StringSplitOptions.TrimEntries);
            var refused = pieces.Skip(1).Any(p => p.Replace(" ", string.Empty, StringComparison.Ordinal) is "q=0" or "q=0.0" or "q=0.00" or "q=0.000");
            if (!refused)
            {
                accepted.Add(pieces[0]);
            }
        }

        return accepted.Contains("br") ? "br" : accepted.Contains("gzip") ? "gzip" : null;
    }
}
