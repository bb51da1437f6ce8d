using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// Writes a bundle to a stream, one entry after another (the zip is written as it goes, so memory stays bounded
/// whatever the size, and the output need not be seekable): kind files (<see cref="AddKindAsync"/> from a stream of
/// lines, or <see cref="OpenKindAsync"/> line by line), blobs (<see cref="AddBlobAsync(string, Stream, CancellationToken)"/>),
/// then <see cref="CompleteAsync"/>, which writes the manifest with every entry's length and SHA-256.
/// </summary>
/// <remarks>
/// A zip holds one open entry at a time: add the blobs a kind's lines reference before opening the kind or after
/// completing it. The writer does not check the lines' content; <see cref="BundleReader"/> does.
/// </remarks>
public sealed class BundleWriter : IAsyncDisposable
{
    private readonly ZipArchive archive;
    private readonly BundleSource source;
    private readonly DateTimeOffset createdAt;
    private readonly List<BundleKindEntry> kinds = [];
    private readonly Dictionary<string, BundleBlobEntry> blobs = new(StringComparer.Ordinal);
    private BundleKindWriter? open;
    private bool completed;

    private BundleWriter(ZipArchive archive, BundleSource source, DateTimeOffset createdAt)
    {
        this.archive = archive;
        this.source = source;
        this.createdAt = createdAt;
    }

    /// <summary>Starts a bundle on <paramref name="output"/> (left open).</summary>
    public static async Task<BundleWriter> CreateAsync(Stream output, BundleSource source, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(source);
        var archive = await ZipArchive.CreateAsync(output, ZipArchiveMode.Create, leaveOpen: true, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
        return new BundleWriter(archive, source, createdAt);
    }

    /// <summary>The kinds written so far.</summary>
    public IReadOnlyList<BundleKindEntry> Kinds => kinds;

    /// <summary>Whether the blob with this SHA-256 is already in the bundle (blobs are stored once, by content).</summary>
    public bool HasBlob(string sha256) => blobs.ContainsKey(sha256);

    /// <summary>Copies a kind's NDJSON (each line one JSON object ending in <c>\n</c>) into the bundle.</summary>
    public async Task<BundleKindEntry> AddKindAsync(string kind, Stream ndjson, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ndjson);
        await using var lines = await OpenKindAsync(kind, cancellationToken).ConfigureAwait(false);
        await lines.CopyFromAsync(ndjson, cancellationToken).ConfigureAwait(false);
        return await lines.CompleteAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a kind's file for writing line by line; complete it before adding another entry.</summary>
    public async Task<BundleKindWriter> OpenKindAsync(string kind, CancellationToken cancellationToken)
    {
        EnsureFree();
        var file = BundleFormat.KindFile(kind);
        if (kinds.Any(k => k.Kind == kind))
        {
            throw new InvalidOperationException($"Kind '{kind}' is already in the bundle.");
        }

        var stream = await archive.CreateEntry(file, CompressionLevel.Fastest).OpenAsync(cancellationToken).ConfigureAwait(false);
        open = new BundleKindWriter(this, kind, file, stream);
        return open;
    }

    /// <summary>Adds a blob whose SHA-256 the caller knows (checked: a mismatch throws); a blob already added is not written again.</summary>
    public async Task<BundleBlobEntry> AddBlobAsync(string sha256, Stream content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        EnsureFree();
        var file = BundleFormat.BlobFile(sha256);
        if (blobs.TryGetValue(sha256, out var existing))
        {
            return existing;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var entryStream = await archive.CreateEntry(file, CompressionLevel.Fastest).OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (entryStream.ConfigureAwait(false))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                bytes += read;
                await entryStream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }

        var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (actual != sha256)
        {
            throw new InvalidOperationException($"Blob content hashes to {actual}, not {sha256}.");
        }

        var entry = new BundleBlobEntry(file, sha256, bytes);
        blobs.Add(sha256, entry);
        return entry;
    }

    /// <summary>Adds a blob from memory; returns its entry (whose <see cref="BundleBlobEntry.File"/> lines reference).</summary>
    public async Task<BundleBlobEntry> AddBlobAsync(ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        using var stream = new MemoryStream(content.ToArray(), writable: false);
        return await AddBlobAsync(BundleFormat.Sha256Hex(content.Span), stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the manifest and finishes the zip (the output stays open). Returns the manifest.</summary>
    public async Task<BundleManifest> CompleteAsync(CancellationToken cancellationToken)
    {
        EnsureFree();
        var manifest = new BundleManifest(BundleFormat.Name, BundleFormat.Version, createdAt, source, [.. kinds], [.. blobs.Values]);
        var entryStream = await archive.CreateEntry(BundleFormat.ManifestEntry, CompressionLevel.Fastest).OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (entryStream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(entryStream, manifest, BundleManifest.JsonOptions, cancellationToken).ConfigureAwait(false);
        }

        completed = true;
        await archive.DisposeAsync().ConfigureAwait(false);
        return manifest;
    }

    /// <summary>Closes the zip; a bundle not completed has no manifest and is refused by readers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!completed)
        {
            completed = true;
            await archive.DisposeAsync().ConfigureAwait(false);
        }
    }

    internal void Completed(BundleKindWriter writer, BundleKindEntry entry)
    {
        kinds.Add(entry);
        if (ReferenceEquals(open, writer))
        {
            open = null;
        }
    }

    private void EnsureFree()
    {
        ObjectDisposedException.ThrowIf(completed, this);
        if (open is not null)
        {
            throw new InvalidOperationException($"Complete kind '{open.Kind}' before adding another entry.");
        }
    }
}
