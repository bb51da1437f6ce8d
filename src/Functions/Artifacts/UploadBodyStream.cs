using Serverless.Functions.Api;

namespace Serverless.Functions.Artifacts;

/// <summary>
/// An upload's body as the store reads it: at most <c>limit</c> bytes (its quota reservation). One more byte throws the
/// 413 the limit stands for, before anything of it is committed: <c>payload_too_large</c> when the limit is the largest
/// upload, <c>quota_exceeded</c> when it was what the quota allowed a body of unknown length.
/// </summary>
internal sealed class UploadBodyStream(Stream body, long limit, bool limitIsQuota) : Stream
{
    private long read;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => read; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Count(body.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private int Count(int n)
    {
        read += n;
        if (read <= limit)
        {
            return n;
        }

        throw limitIsQuota
            ? new RequestBodyException(StatusCodes.Status413PayloadTooLarge, ProblemCodes.QuotaExceeded, "The artifact quota is exceeded.", $"The body is longer than the {limit} bytes left in the artifact quota.")
            : new RequestBodyException(StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "The request body is too large.", $"An artifact holds at most {limit} bytes.");
    }
}
