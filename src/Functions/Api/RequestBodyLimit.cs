using Microsoft.AspNetCore.Http.Features;

namespace Serverless.Functions.Api;

/// <summary>
/// Holds a request body to a limit: 413 at once when Content-Length says it is over, and while
/// reading otherwise (chunked bodies). Done by the app rather than left to a server's settings, so
/// that it holds the same under the Functions worker and the local server.
/// </summary>
public static class RequestBodyLimit
{
    /// <summary>Applies <paramref name="limit"/> to the request.</summary>
    /// <returns>A 413 problem to answer at once, or null when the body may be read (up to the limit).</returns>
    public static IResult? Apply(HttpContext context, long limit)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.ContentLength > limit)
        {
            return TooLarge(limit);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength is null && !HttpMethods.IsGet(context.Request.Method))
        {
            context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
        }

        return null;
    }

    private static IResult TooLarge(long limit) =>
        Problems.Result(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"The request body is larger than {limit} bytes.");

    private sealed class LimitedReadStream(Stream inner, long limit) : Stream
    {
        private long read;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => read; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Count(inner.Read(buffer, offset, count));
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        private int Count(int n)
        {
            read += n;
            return read > limit
                ? throw new RequestBodyException(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"The request body is larger than {limit} bytes.")
                : n;
        }
    }
}
