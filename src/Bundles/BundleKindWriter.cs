using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>Writes one kind's NDJSON file of a <see cref="BundleWriter"/>, counting, measuring and hashing as it goes.</summary>
public sealed class BundleKindWriter : IAsyncDisposable
{
    private static readonly byte[] NewLine = [(byte)'\n'];
    private readonly BundleWriter owner;
    private readonly Stream stream;
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly ArrayBufferWriter<byte> line = new();
    private long count;
    private long bytes;
    private bool completed;

    internal BundleKindWriter(BundleWriter owner, string kind, string file, Stream stream)
    {
        this.owner = owner;
        Kind = kind;
        File = file;
        this.stream = stream;
    }

    /// <summary>The kind.</summary>
    public string Kind { get; }

    /// <summary>The entry name.</summary>
    public string File { get; }

    /// <summary>Lines written so far.</summary>
    public long Count => count;

    /// <summary>Writes one resource as a line (serialized with <see cref="BundleManifest.JsonOptions"/>).</summary>
    public Task WriteAsync<T>(T resource, CancellationToken cancellationToken)
    {
        line.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(line))
        {
            JsonSerializer.Serialize(writer, resource, BundleManifest.JsonOptions);
        }

        return WriteLineAsync(line.WrittenMemory, cancellationToken);
    }

    /// <summary>Writes one line: a JSON object in UTF-8 on one line, without its <c>\n</c>.</summary>
    public async Task WriteLineAsync(ReadOnlyMemory<byte> json, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        if (json.Span.IndexOfAny((byte)'\n', (byte)'\r') >= 0)
        {
            throw new ArgumentException("A line holds no line break.", nameof(json));
        }

        await AppendAsync(json, cancellationToken).ConfigureAwait(false);
        await AppendAsync(NewLine, cancellationToken).ConfigureAwait(false);
        count++;
    }

    /// <summary>Finishes the file and returns its manifest entry.</summary>
    public async Task<BundleKindEntry> CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(completed, this);
        completed = true;
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        await stream.DisposeAsync().ConfigureAwait(false);
        var entry = new BundleKindEntry(Kind, File, count, bytes, Convert.ToHexStringLower(hash.GetHashAndReset()));
        hash.Dispose();
        owner.Completed(this, entry);
        return entry;
    }

    /// <summary>Closes the entry if <see cref="CompleteAsync"/> was not called (the kind is then left out of the manifest).</summary>
    public async ValueTask DisposeAsync()
    {
        if (!completed)
        {
            completed = true;
            await stream.DisposeAsync().ConfigureAwait(false);
            hash.Dispose();
        }
    }

    /// <summary>Copies NDJSON text already framed as lines, counting its line breaks.</summary>
    internal async Task CopyFromAsync(Stream ndjson, CancellationToken cancellationToken)
    {
        var buffer = new byte[81920];
        int read;
        while ((read = await ndjson.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
            await AppendAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task AppendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        hash.AppendData(data.Span);
        bytes += data.Length;
        await stream.WriteAsync(data, cancellationToken).ConfigureAwait(false);
    }
}
