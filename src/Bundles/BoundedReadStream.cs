namespace Serverless.Bundles;

/// <summary>
/// Reads an entry's decompressed bytes and refuses to go past its declared size: the zip's headers say how large
/// an entry is, and a bomb that lies about it stops at the first byte beyond.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long declared, string entry) : ObservedReadStream(inner)
{
    public override long Length => declared;

    protected override void Observe(ReadOnlySpan<byte> chunk, long readBefore)
    {
        if (readBefore + chunk.Length > declared)
        {
            throw new BundleException(BundleErrors.ZipBomb, $"{entry} inflates past its declared {declared} bytes.");
        }
    }
}
