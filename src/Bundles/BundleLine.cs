namespace Serverless.Bundles;

/// <summary>One line of a kind file: its 1-based number and its UTF-8 JSON (valid until the next line is read).</summary>
/// <param name="Number">The 1-based line number.</param>
/// <param name="Json">The line without its <c>\n</c>.</param>
public readonly record struct BundleLine(long Number, ReadOnlyMemory<byte> Json);
