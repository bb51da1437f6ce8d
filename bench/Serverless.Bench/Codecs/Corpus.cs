using System.Security.Cryptography;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Chat-style NDJSON built from real text: <see cref="Transcript"/> is the whole file (one JSON
/// message per line); <see cref="Lines"/> locates each message inside it, without the newline.
/// </summary>
internal sealed class Corpus(byte[] transcript, IReadOnlyList<Range> lines, IReadOnlyList<CorpusSourceUsage> sources)
{
    public byte[] Transcript { get; } = transcript;

    public IReadOnlyList<Range> Lines { get; } = lines;

    public IReadOnlyList<CorpusSourceUsage> Sources { get; } = sources;

    /// <summary>A short fingerprint, so two runs can tell whether they measured the same bytes.</summary>
    public string Sha256Prefix => Convert.ToHexStringLower(SHA256.HashData(Transcript))[..16];

    public ReadOnlyMemory<byte> Line(int index) => Transcript.AsMemory(Lines[index]);

    /// <summary>The first whole lines (newlines included) adding up to at least <paramref name="bytes"/>, or everything.</summary>
    public ReadOnlyMemory<byte> Prefix(long bytes)
    {
        foreach (var line in Lines)
        {
            var end = line.End.GetOffset(Transcript.Length) + 1;
            if (end >= bytes)
            {
                return Transcript.AsMemory(0, Math.Min(end, Transcript.Length));
            }
        }

        return Transcript;
    }

    /// <summary>
    /// Messages whose JSON is <paramref name="minBytes"/> to <paramref name="maxBytes"/> long, in corpus
    /// order, until they add up to <paramref name="totalBytes"/>: the "one small payload at a time" shape.
    /// </summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> SmallMessages(int minBytes, int maxBytes, long totalBytes)
    {
        var picked = new List<ReadOnlyMemory<byte>>();
        long sum = 0;
        for (var i = 0; i < Lines.Count && sum < totalBytes; i++)
        {
            var line = Line(i);
            if (line.Length >= minBytes && line.Length <= maxBytes)
            {
                picked.Add(line);
                sum += line.Length;
            }
        }

        return picked;
    }
}

/// <summary>What one source contributed: files read and the text taken from them.</summary>
internal sealed record CorpusSourceUsage(string Name, int FilesAvailable, int FilesUsed, int FilesSkipped, long TextBytes, int Messages);
