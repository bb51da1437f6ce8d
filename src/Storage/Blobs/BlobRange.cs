using System.Globalization;

namespace Serverless.Storage.Blobs;

/// <summary>A byte range of a blob to download.</summary>
public readonly record struct BlobRange
{
    /// <summary>Creates a range of <paramref name="length"/> bytes from <paramref name="offset"/>, or to the end when <paramref name="length"/> is null.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative or the length is not positive.</exception>
    public BlobRange(long offset, long? length = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        if (length is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(l, nameof(length));
        }

        Offset = offset;
        Length = length;
    }

    /// <summary>The first byte, 0-based.</summary>
    public long Offset { get; }

    /// <summary>How many bytes, or <c>null</c> for the rest of the blob.</summary>
    public long? Length { get; }

    /// <summary>The HTTP form, e.g. <c>bytes=0-99</c> or <c>bytes=100-</c>.</summary>
    public override string ToString() => Length is { } length
        ? string.Create(CultureInfo.InvariantCulture, $"bytes={Offset}-{Offset + length - 1}")
        : string.Create(CultureInfo.InvariantCulture, $"bytes={Offset}-");
}
