using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Api;

/// <summary>
/// Refuses bodies over <see cref="ApiOptions.MaxRequestBodyBytes"/> (or the endpoint's own
/// <see cref="RequestBodyLimitMetadata"/>) with 413: at once when
/// Content-Length says so, and while reading a chunked body otherwise. Done here rather than only
/// in Kestrel so that it holds under every server (Kestrel, the test server, behind the host).
/// </summary>
public sealed class RequestBodyLimit(RequestDelegate next, IOptions<ApiOptions> options)
{
    /// <summary>Applies the limit to one request.</summary>
    public Task InvokeAsync(HttpContext context)
    {
        // Routing has already run (WebApplication puts it first), so the endpoint's own limit is visible here.
        var limit = context.GetEndpoint()?.Metadata.GetMetadata<RequestBodyLimitMetadata>()?.MaxBytes ?? options.Value.MaxRequestBodyBytes;
        if (context.Request.ContentLength > limit)
        {
            throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = limit;
        }

        if (context.Request.ContentLength is null && HttpMethods.IsGet(context.Request.Method) is false)
        {
            context.Request.Body = new LimitedReadStream(context.Request.Body, limit);
        }

        return next(context);
    }

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
                ? throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge)
                : n;
        }
    }
}

/// <summary>Endpoint metadata that replaces the global body limit for one endpoint (e.g. batch appends).</summary>
/// <param name="MaxBytes">The largest body the endpoint accepts, in bytes.</param>
public sealed record RequestBodyLimitMetadata(long MaxBytes);

/// <summary>Adds <see cref="RequestBodyLimitMetadata"/> to endpoints.</summary>
public static class RequestBodyLimitExtensions
{
    /// <summary>Lets this endpoint accept bodies up to <paramref name="maxBytes"/> instead of the global limit.</summary>
    public static RouteHandlerBuilder WithRequestBodyLimit(this RouteHandlerBuilder builder, long maxBytes) =>
        builder.WithMetadata(new RequestBodyLimitMetadata(maxBytes));
}
