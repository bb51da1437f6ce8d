using System.Buffers;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// Reads a bundle and checks everything docs/bundle-format.md requires, without trusting it: opening checks the zip's
/// entries (count, names, declared sizes, compression ratios) and the manifest (format, version, known kinds, listed
/// files present, nothing unlisted); reading a kind's lines or a blob checks its length, SHA-256 and line count
/// against the manifest as the bytes go by, never reads past a declared size, and never holds more than one line.
/// </summary>
/// <remarks>The zip must be seekable (its directory is at the end): a file, or a blob's read stream.</remarks>
public sealed class BundleReader : IAsyncDisposable
{
    private readonly ZipArchive archive;
    private readonly Dictionary<string, ZipArchiveEntry> entries;
    private readonly Dictionary<string, BundleBlobEntry> blobs;

    private BundleReader(ZipArchive archive, Dictionary<string, ZipArchiveEntry> entries, BundleManifest manifest)
    {
        this.archive = archive;
        this.entries = entries;
        Manifest = manifest;
        blobs = manifest.Blobs.ToDictionary(b => b.File, StringComparer.Ordinal);
    }

    /// <summary>The checked manifest.</summary>
    public BundleManifest Manifest { get; }

    /// <summary>Opens and checks a bundle's structure and manifest; throws <see cref="BundleException"/> for a bundle that is not valid.</summary>
    /// <param name="zip">The bundle (seekable; left open).</param>
    /// <param name="knownKinds">The kinds the caller handles; any other kind is refused.</param>
    /// <param name="limits">The size guards.</param>
    /// <param name="cancellationToken">Cancels.</param>
    public static async Task<BundleReader> OpenAsync(Stream zip, IReadOnlySet<string> knownKinds, BundleLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(zip);
        ArgumentNullException.ThrowIfNull(knownKinds);
        ArgumentNullException.ThrowIfNull(limits);
        if (!zip.CanSeek)
        {
            throw new ArgumentException("A bundle is read from a seekable stream.", nameof(zip));
        }

        // A zip ends with a 22-byte directory record at least; streams differ in how they refuse seeking before their start.
        const int EndRecordBytes = 22;
        if (zip.Length < EndRecordBytes)
        {
            throw new BundleException(BundleErrors.NotZip, "The bundle is not a readable zip file: it is too short.");
        }

        ZipArchive archive;
        try
        {
            archive = await ZipArchive.CreateAsync(zip, ZipArchiveMode.Read, leaveOpen: true, entryNameEncoding: null, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or ArgumentException)
        {
            throw new BundleException(BundleErrors.NotZip, "The bundle is not a readable zip file: " + e.Message, e);
        }

        try
        {
            var entries = CheckEntries(archive, limits);
            var manifest = await ReadManifestAsync(entries, cancellationToken).ConfigureAwait(false);
            CheckManifest(manifest, entries, knownKinds);
            return new BundleReader(archive, entries, manifest);
        }
        catch
        {
            await archive.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// The lines of <paramref name="kind"/>'s file (none when the bundle has no such file), checked as they are read;
    /// after the last line, the file's length, SHA-256 and line count are compared with the manifest. Each line's
    /// memory is valid until the next is read.
    /// </summary>
    public async IAsyncEnumerable<BundleLine> ReadLinesAsync(string kind, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Manifest.Kind(kind) is not { } listed)
        {
            yield break;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var stream = await OpenBoundedAsync(listed.File, listed.Bytes, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
            try
            {
                int start = 0, end = 0;
                long number = 0, total = 0;
                while (true)
                {
                    var newline = buffer.AsSpan(start, end - start).IndexOf((byte)'\n');
                    if (newline >= 0)
                    {
                        number++;
                        var line = buffer.AsMemory(start, newline);
                        CheckFraming(listed.File, number, line.Span);
                        yield return new BundleLine(number, line);
                        start += newline + 1;
                        continue;
                    }

                    if (end - start > BundleFormat.MaxLineBytes)
                    {
                        throw new BundleException(BundleErrors.LineTooLong, $"{listed.File} line {number + 1} is longer than {BundleFormat.MaxLineBytes} bytes.");
                    }

                    if (start > 0)
                    {
                        buffer.AsSpan(start, end - start).CopyTo(buffer);
                        end -= start;
                        start = 0;
                    }

                    if (end == buffer.Length)
                    {
                        var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, BundleFormat.MaxLineBytes + 2));
                        buffer.AsSpan(0, end).CopyTo(larger);
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = larger;
                    }

                    var read = await stream.ReadAsync(buffer.AsMemory(end), cancellationToken).ConfigureAwait(false);
                    if (read == 0)
                    {
                        if (end > start)
                        {
                            throw new BundleException(BundleErrors.Line, $"{listed.File} line {number + 1} does not end with a line break.");
                        }

                        break;
                    }

                    hash.AppendData(buffer, end, read);
                    total += read;
                    end += read;
                }

                var sha = Convert.ToHexStringLower(hash.GetHashAndReset());
                if (total != listed.Bytes || sha != listed.Sha256 || number != listed.Count)
                {
                    throw new BundleException(
                        BundleErrors.Checksum,
                        $"{listed.File} has {total} bytes, {number} lines and SHA-256 {sha}; the manifest says {listed.Bytes} bytes, {listed.Count} lines and {listed.Sha256}.");
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    /// <summary>Reads one line as <typeparamref name="T"/> with the format's strict options; a line that does not fit is a <see cref="BundleErrors.Line"/> error naming the file and line.</summary>
    public static T Parse<T>(string kind, BundleLine line)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(line.Json.Span, BundleManifest.JsonOptions)
                ?? throw new JsonException("The line is null.");
        }
        catch (JsonException e)
        {
            throw new BundleException(BundleErrors.Line, $"{BundleFormat.KindFile(kind)} line {line.Number}: {e.Message}", e);
        }
    }

    /// <summary>Whether the bundle lists the blob file <paramref name="file"/> (<c>blobs/{sha256}</c>).</summary>
    public bool HasBlob(string file) => blobs.ContainsKey(file);

    /// <summary>The listed length of blob <paramref name="file"/>.</summary>
    public long BlobBytes(string file) => Blob(file).Bytes;

    /// <summary>
    /// Opens blob <paramref name="file"/> as a stream of its bytes, never past its listed length; reaching its end checks
    /// its length and SHA-256 against the manifest (a mismatch throws <see cref="BundleErrors.Checksum"/> instead of
    /// ending the stream). Memory: the zip's read buffers, whatever the blob's size.
    /// </summary>
    public async Task<Stream> OpenBlobAsync(string file, CancellationToken cancellationToken)
    {
        var listed = Blob(file);
        return new VerifiedBlobStream(await OpenBoundedAsync(file, listed.Bytes, cancellationToken).ConfigureAwait(false), listed);
    }

    /// <summary>Reads a whole blob into memory (at most <paramref name="maxBytes"/>), checking its length and SHA-256.</summary>
    public async Task<byte[]> ReadBlobAsync(string file, long maxBytes, CancellationToken cancellationToken)
    {
        var listed = Blob(file);
        if (listed.Bytes > maxBytes)
        {
            throw new BundleException(BundleErrors.TooLarge, $"{file} has {listed.Bytes} bytes; at most {maxBytes} fit where it is used.");
        }

        var content = new MemoryStream((int)listed.Bytes);
        var stream = await OpenBlobAsync(file, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            await stream.CopyToAsync(content, cancellationToken).ConfigureAwait(false);
        }

        return content.ToArray();
    }

    /// <summary>Reads every blob through, checking each one's length and SHA-256 (memory: one buffer).</summary>
    public async Task VerifyBlobsAsync(CancellationToken cancellationToken)
    {
        foreach (var listed in Manifest.Blobs)
        {
            var stream = await OpenBlobAsync(listed.File, cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                await stream.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => archive.DisposeAsync();

    private BundleBlobEntry Blob(string file) =>
        blobs.TryGetValue(file, out var listed) ? listed : throw new BundleException(BundleErrors.MissingEntry, $"'{file}' is referenced but not listed among the bundle's blobs.");

    private async Task<Stream> OpenBoundedAsync(string file, long declared, CancellationToken cancellationToken)
    {
        try
        {
            return new BoundedReadStream(await entries[file].OpenAsync(cancellationToken).ConfigureAwait(false), declared, file);
        }
        catch (InvalidDataException e)
        {
            throw new BundleException(BundleErrors.NotZip, $"{file} cannot be read: {e.Message}", e);
        }
    }

    private static void CheckFraming(string file, long number, ReadOnlySpan<byte> line)
    {
        if (line.Length > BundleFormat.MaxLineBytes)
        {
            throw new BundleException(BundleErrors.LineTooLong, $"{file} line {number} is longer than {BundleFormat.MaxLineBytes} bytes.");
        }

        if (line.IsEmpty || line[0] != (byte)'{' || line.Contains((byte)'\r'))
        {
            throw new BundleException(BundleErrors.Line, $"{file} line {number} is not one JSON object followed by a line feed.");
        }
    }

    private static Dictionary<string, ZipArchiveEntry> CheckEntries(ZipArchive archive, BundleLimits limits)
    {
        System.Collections.ObjectModel.ReadOnlyCollection<ZipArchiveEntry> all;
        try
        {
            all = archive.Entries;
        }
        catch (InvalidDataException e)
        {
            throw new BundleException(BundleErrors.NotZip, "The bundle's zip directory is corrupt: " + e.Message, e);
        }

        if (all.Count > limits.MaxEntries)
        {
            throw new BundleException(BundleErrors.TooLarge, $"The bundle has {all.Count} entries; at most {limits.MaxEntries} are accepted.");
        }

        var entries = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
        long total = 0;
        foreach (var entry in all)
        {
            var name = entry.FullName;
            if (name != BundleFormat.ManifestEntry && BundleFormat.KindOfFile(name) is null && !BundleFormat.IsBlobFile(name))
            {
                throw new BundleException(BundleErrors.EntryName, $"Entry '{Printable(name)}' is not a name the bundle format allows (manifest.json, kinds/{{kind}}.ndjson, blobs/{{sha256}}).");
            }

            if (!entries.TryAdd(name, entry))
            {
                throw new BundleException(BundleErrors.EntryName, $"Entry '{name}' appears twice.");
            }

            if (entry.IsEncrypted)
            {
                throw new BundleException(BundleErrors.NotZip, $"Entry '{name}' is encrypted.");
            }

            total += entry.Length;
            if (entry.Length < 0 || total > limits.MaxUncompressedBytes)
            {
                throw new BundleException(BundleErrors.TooLarge, $"The bundle's entries hold more than {limits.MaxUncompressedBytes} uncompressed bytes.");
            }

            if (entry.Length > BundleLimits.RatioFloorBytes && entry.Length > limits.MaxCompressionRatio * Math.Max(1, entry.CompressedLength))
            {
                throw new BundleException(BundleErrors.ZipBomb, $"Entry '{name}' expands {entry.Length} bytes from {entry.CompressedLength}: more than {limits.MaxCompressionRatio} times.");
            }
        }

        return entries;
    }

    private static async Task<BundleManifest> ReadManifestAsync(Dictionary<string, ZipArchiveEntry> entries, CancellationToken cancellationToken)
    {
        if (!entries.TryGetValue(BundleFormat.ManifestEntry, out var entry))
        {
            throw new BundleException(BundleErrors.Manifest, "The bundle has no manifest.json.");
        }

        if (entry.Length > BundleFormat.MaxManifestBytes)
        {
            throw new BundleException(BundleErrors.Manifest, $"manifest.json is larger than {BundleFormat.MaxManifestBytes} bytes.");
        }

        try
        {
            var stream = new BoundedReadStream(await entry.OpenAsync(cancellationToken).ConfigureAwait(false), entry.Length, BundleFormat.ManifestEntry);
            await using (stream.ConfigureAwait(false))
            {
                using var document = await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
                CheckFormatAndVersion(document.RootElement);
                return document.RootElement.Deserialize<BundleManifest>(BundleManifest.JsonOptions) ?? throw new JsonException("The manifest is null.");
            }
        }
        catch (JsonException e)
        {
            throw new BundleException(BundleErrors.Manifest, "manifest.json is not a valid manifest: " + e.Message, e);
        }
        catch (InvalidDataException e)
        {
            throw new BundleException(BundleErrors.NotZip, "manifest.json cannot be read: " + e.Message, e);
        }
    }

    private static void CheckFormatAndVersion(JsonElement root)
    {
        // Checked before the strict shape, so that a newer version's extra members are reported as the version they are.
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != BundleFormat.Name)
        {
            throw new BundleException(BundleErrors.Version, $"This is not a {BundleFormat.Name} manifest (its \"format\" must be \"{BundleFormat.Name}\").");
        }

        if (!root.TryGetProperty("version", out var version) || !version.TryGetInt32(out var number) || number != BundleFormat.Version)
        {
            throw new BundleException(BundleErrors.Version, $"Bundle format version {version} is not supported; this reader knows version {BundleFormat.Version}.");
        }
    }

    private static void CheckManifest(BundleManifest manifest, Dictionary<string, ZipArchiveEntry> entries, IReadOnlySet<string> knownKinds)
    {
        if (manifest.Source is null || string.IsNullOrWhiteSpace(manifest.Source.App) || manifest.Kinds is null || manifest.Blobs is null)
        {
            throw new BundleException(BundleErrors.Manifest, "The manifest needs source.app, kinds and blobs.");
        }

        var listed = new HashSet<string>(StringComparer.Ordinal) { BundleFormat.ManifestEntry };
        foreach (var kind in manifest.Kinds)
        {
            if (!BundleFormat.IsKindName(kind.Kind) || !knownKinds.Contains(kind.Kind))
            {
                throw new BundleException(BundleErrors.UnknownKind, $"Kind '{Printable(kind.Kind)}' is not one this server imports (known: {string.Join(", ", knownKinds.Order(StringComparer.Ordinal))}).");
            }

            if (kind.File != BundleFormat.KindFile(kind.Kind) || kind.Count < 0 || kind.Bytes < 0 || !BundleFormat.IsSha256(kind.Sha256))
            {
                throw new BundleException(BundleErrors.Manifest, $"The manifest's entry for kind '{kind.Kind}' is malformed (file must be {BundleFormat.KindFile(kind.Kind)}, count and bytes ≥ 0, sha256 64 lower-case hex digits).");
            }

            Listed(kind.File, kind.Bytes);
        }

        foreach (var blob in manifest.Blobs)
        {
            if (!BundleFormat.IsSha256(blob.Sha256) || blob.File != BundleFormat.BlobFile(blob.Sha256) || blob.Bytes < 0)
            {
                throw new BundleException(BundleErrors.Manifest, $"The manifest's blob entry '{Printable(blob.File)}' is malformed (file must be blobs/{{sha256}}, bytes ≥ 0).");
            }

            Listed(blob.File, blob.Bytes);
        }

        foreach (var name in entries.Keys)
        {
            if (!listed.Contains(name))
            {
                throw new BundleException(BundleErrors.UnlistedEntry, $"Entry '{name}' is not listed in the manifest.");
            }
        }

        void Listed(string file, long bytes)
        {
            if (!listed.Add(file))
            {
                throw new BundleException(BundleErrors.Manifest, $"The manifest lists '{file}' twice.");
            }

            if (!entries.TryGetValue(file, out var entry))
            {
                throw new BundleException(BundleErrors.MissingEntry, $"The manifest lists '{file}', which is not in the zip.");
            }

            if (entry.Length != bytes)
            {
                throw new BundleException(BundleErrors.Checksum, $"'{file}' holds {entry.Length} bytes; the manifest says {bytes}.");
            }
        }
    }

    private static string Printable(string? name) =>
        name is null ? "(null)" : new string([.. name.Take(200).Select(c => char.IsControl(c) ? '?' : c)]);
}
