using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Serverless.Functions.Api;

/// <summary>
/// Compresses the app's JSON answers (<c>application/json</c>, <c>application/problem+json</c>) of at least
/// <see cref="MinBytes"/> with br or gzip, as <c>Accept-Encoding</c> prefers (<see cref="ContentCoding.Choose"/>).
/// Smaller answers, other media types and answers that set their own <c>Content-Encoding</c> (the transcript) go out
/// as they are. ASP.NET Core middleware, run outermost by both hosts: the local server's pipeline, and the worker's
/// ASP.NET Core pipeline through <see cref="StartupFilter"/> (there the function's result is executed after the worker
/// middleware has returned, so only the web pipeline sees the whole answer).
/// </summary>
/// <remarks>
/// Not ASP.NET Core's ResponseCompression middleware, although it would sit in both hosts' web pipelines alike: it
/// decides at the first write with nothing but the headers to go on (no size threshold; our JSON results set no
/// Content-Length), so every small answer and problem would pay the compressor's setup and framing, and an answer that
/// fails after its first write could not be replaced by the problem (its compressor is already bound to the response).
/// This one holds the first <see cref="MinBytes"/> back to decide, then streams, and lets the fault boundary drop an
/// answer that has not reached the client (<see cref="DiscardUnsent"/>).
/// </remarks>
public sealed class JsonCompression(RequestDelegate next)
{
    /// <summary>JSON answers shorter than this are sent as they are.</summary>
    public const int MinBytes = 1024;

    /// <summary>Runs the rest of the pipeline with the answer's body compressed when it qualifies.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var coding = ContentCoding.Choose(context.Request.Headers.AcceptEncoding.ToString());
        if (coding is null || context.Features.Get<IHttpResponseBodyFeature>() is not { } prior)
        {
            await next(context);
            return;
        }

        await using var body = new CompressingBody(context.Response, prior, coding);
        context.Features.Set<IHttpResponseBodyFeature>(body);
        try
        {
            await next(context);
            await body.CompleteAsync();
        }
        finally
        {
            context.Features.Set(prior);
        }
    }

    /// <summary>
    /// Drops what a failed answer left held back (not sent yet), so that the problem answered instead goes out alone.
    /// Called by <see cref="ApiPipeline"/>'s fault boundary.
    /// </summary>
    public static void DiscardUnsent(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        (context.Features.Get<IHttpResponseBodyFeature>() as CompressingBody)?.Discard();
    }

    /// <summary>Puts <see cref="JsonCompression"/> outermost in the worker's ASP.NET Core pipeline.</summary>
    public sealed class StartupFilter : IStartupFilter
    {
        /// <inheritdoc />
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.UseMiddleware<JsonCompression>();
            next(app);
        };
    }

    /// <summary>
    /// The response body while the answer may still be compressed: holds writes back until it knows (the first write
    /// that is not JSON, or <see cref="MinBytes"/> of JSON, or the end), then sends them as they are or compressed.
    /// The compressor writes into <see cref="compressed"/>, drained to the client after each write, so that an answer
    /// that fails before anything reached the client can be dropped whole, its compressor included (<see cref="Discard"/>).
    /// </summary>
    private sealed class CompressingBody(HttpResponse response, IHttpResponseBodyFeature prior, string coding) : Stream, IHttpResponseBodyFeature
    {
        private readonly MemoryStream held = new();
        private readonly MemoryStream compressed = new();
        private Stream? compressor;
        private bool plain;
        private PipeWriter? writer;
        private bool completed;

        Stream IHttpResponseBodyFeature.Stream => this;

        public PipeWriter Writer => writer ??= PipeWriter.Create(this, new StreamPipeWriterOptions(leaveOpen: true));

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void DisableBuffering() => prior.DisableBuffering();

        public Task StartAsync(CancellationToken cancellationToken = default)
        {
            // A JSON answer starts when it is decided (its headers depend on it); anything else starts now.
            if (compressor is not null || (!plain && Compressible()))
            {
                return Task.CompletedTask;
            }

            plain = true;
            return prior.StartAsync(cancellationToken);
        }

        public Task SendFileAsync(string path, long offset, long? count, CancellationToken cancellationToken = default) =>
            SendFileFallback.SendFileAsync(this, path, offset, count, cancellationToken);

        public async Task CompleteAsync()
        {
            if (completed)
            {
                return;
            }

            completed = true;
            if (writer is not null)
            {
                await writer.FlushAsync();
                await writer.CompleteAsync(); // Returns its buffers; this stream stays open (leaveOpen).
            }

            if (compressor is not null)
            {
                await compressor.DisposeAsync(); // Ends the compressed stream.
                await DrainAsync(CancellationToken.None);
            }
            else if (held.Length > 0)
            {
                // Everything fit below the threshold: send it as it is.
                await prior.Stream.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length));
            }
        }

        /// <summary>Forgets the answer written so far; only called while nothing of it has reached the client.</summary>
        public void Discard()
        {
            held.SetLength(0);
            compressor?.Dispose(); // Into memory, dropped with the rest.
            compressor = null;
            compressed.SetLength(0);
            plain = false;
            writer = null;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (compressor is not null)
            {
                await compressor.WriteAsync(buffer, cancellationToken);
                await DrainAsync(cancellationToken);
                return;
            }

            if (plain || !Compressible())
            {
                plain = true;
                await prior.Stream.WriteAsync(buffer, cancellationToken);
                return;
            }

            held.Write(buffer.Span);
            if (held.Length >= MinBytes)
            {
                compressor = StartCompressing();
                await compressor.WriteAsync(held.GetBuffer().AsMemory(0, (int)held.Length), cancellationToken);
                held.SetLength(0);
                await DrainAsync(cancellationToken);
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

        /// <summary>
        /// Flushes reach the client only for answers sent as they are (a stream that flushes on purpose). A JSON answer
        /// is held until it is decided, then flushed once at the end: a flush ends a compressed block and costs size.
        /// </summary>
        public override Task FlushAsync(CancellationToken cancellationToken) =>
            plain ? prior.Stream.FlushAsync(cancellationToken) : Task.CompletedTask;

        public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            // A compressor left open by a failed answer writes its end into memory, never to the client.
            if (compressor is not null)
            {
                await compressor.DisposeAsync();
            }

            await held.DisposeAsync();
            await compressed.DisposeAsync();
            await base.DisposeAsync();
        }

        /// <summary>Sends what the compressor has produced so far.</summary>
        private async Task DrainAsync(CancellationToken cancellationToken)
        {
            if (compressed.Length > 0)
            {
                await prior.Stream.WriteAsync(compressed.GetBuffer().AsMemory(0, (int)compressed.Length), cancellationToken);
                compressed.SetLength(0);
            }
        }

        // Byte-addressed content (an artifact download announces Accept-Ranges, a part of it Content-Range) goes out as
        // stored even when it is JSON: compressed, its ranges, length and ETag would describe other bytes.
        private bool Compressible() =>
            response.Headers.ContentEncoding.Count == 0 && response.StatusCode is not (StatusCodes.Status204NoContent or StatusCodes.Status304NotModified)
            && response.Headers.AcceptRanges.Count == 0 && response.Headers.ContentRange.Count == 0
            && JsonBody.IsJson(response.ContentType);

        private Stream StartCompressing()
        {
            response.Headers.ContentEncoding = coding;
            response.Headers.Append("Vary", "Accept-Encoding");
            response.ContentLength = null;
            return ContentCoding.Compressor(coding, compressed);
        }
    }
}
