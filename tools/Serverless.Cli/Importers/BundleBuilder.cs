using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Bundles;

namespace Serverless.Cli.Importers;

/// <summary>Something an importer left out or changed, with the reason (shown in the summary and in <c>--json</c>).</summary>
/// <param name="Kind">The bundle kind concerned (or the source's own name for what has no kind).</param>
/// <param name="Source">Where in the app's data (file, table and row).</param>
/// <param name="Reason">What happened and why.</param>
public sealed record ImportNote(string Kind, string Source, string Reason);

/// <summary>
/// Builds a bundle for an importer with <see cref="BundleWriter"/> (docs/bundle-format.md): each kind's lines go to a
/// temporary file first, so blobs can be added while a kind is being written (the zip holds one open entry at a
/// time) and memory stays bounded by one line; <see cref="KindLines.CompleteAsync"/> copies the file into the zip.
/// </summary>
public sealed class BundleBuilder : IAsyncDisposable
{
    private readonly BundleWriter writer;
    private readonly List<ImportNote> notes = [];
    private readonly Dictionary<string, long> counts = new(StringComparer.Ordinal);

    private BundleBuilder(BundleWriter writer) => this.writer = writer;

    /// <summary>Lines per kind written so far.</summary>
    public IReadOnlyDictionary<string, long> Counts => counts;

    /// <summary>What was left out or changed.</summary>
    public IReadOnlyList<ImportNote> Notes => notes;

    /// <summary>Starts a bundle on <paramref name="output"/> made by <paramref name="app"/> (the manifest's <c>source.app</c>).</summary>
    public static async Task<BundleBuilder> CreateAsync(Stream output, string app, CancellationToken cancellationToken) =>
        new(await BundleWriter.CreateAsync(output, new BundleSource(app, "assistant-backend-cli 1"), DateTimeOffset.UtcNow, cancellationToken));

    /// <summary>Starts the lines of <paramref name="kind"/> (one kind at a time per kind name).</summary>
    public KindLines Kind(string kind) => new(this, kind);

    /// <summary>Records something left out or changed.</summary>
    public void Note(string kind, string source, string reason) => notes.Add(new ImportNote(kind, source, reason));

    /// <summary>Writes the manifest and finishes the zip.</summary>
    public Task<BundleManifest> CompleteAsync(CancellationToken cancellationToken) => writer.CompleteAsync(cancellationToken);

    /// <inheritdoc/>
    public ValueTask DisposeAsync() => writer.DisposeAsync();

    /// <summary>The lines of one kind, collected in a temporary file (deleted on close).</summary>
    public sealed class KindLines : IAsyncDisposable
    {
        private readonly BundleBuilder owner;
        private readonly string kind;
        private readonly FileStream file;
        private long count;

        internal KindLines(BundleBuilder owner, string kind)
        {
            this.owner = owner;
            this.kind = kind;
            file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        }

        /// <summary>Lines so far.</summary>
        public long Count => count;

        /// <summary>Adds <paramref name="bytes"/> as a blob for a line of this kind; returns its entry name (<c>blobs/{sha256}</c>) for a <c>…File</c> member.</summary>
        public async Task<string> AddBlobAsync(byte[] bytes, CancellationToken cancellationToken) =>
            (await owner.writer.AddBlobAsync(bytes, cancellationToken)).File;

        /// <summary>
        /// Sets a text member: inline up to <see cref="BundleFormat.InlineTextChars"/> characters, else as a blob named by
        /// <c>{member}File</c> (what the server's exports do, so a line stays small).
        /// </summary>
        public async Task SetTextAsync(JsonObject line, string member, string? text, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(line);
            if (text is null)
            {
                return;
            }

            if (text.Length > BundleFormat.InlineTextChars)
            {
                line[member + "File"] = await AddBlobAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
            }
            else
            {
                line[member] = text;
            }
        }

        /// <summary>Adds one resource; <paramref name="source"/> names it in the message when the line is too long.</summary>
        public async Task AddAsync(JsonObject line, string source, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(line);
            LineShapes.Complete(kind, line);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(line);
            if (bytes.Length > BundleFormat.MaxLineBytes)
            {
                throw new CliException(ExitCodes.InputFormat, "line_too_long", $"{source}: the {kind} is {bytes.Length:N0} bytes as JSON, over the bundle's {BundleFormat.MaxLineBytes:N0}-byte line limit.");
            }

            count++;
            await file.WriteAsync(bytes, cancellationToken);
            file.WriteByte((byte)'\n');
        }

        /// <summary>Copies the lines into the bundle (a kind with no lines is left out).</summary>
        public async Task CompleteAsync(CancellationToken cancellationToken)
        {
            if (count > 0)
            {
                file.Position = 0;
                await owner.writer.AddKindAsync(kind, file, cancellationToken);
                owner.counts[kind] = count;
            }

            await file.DisposeAsync();
        }

        /// <inheritdoc/>
        public ValueTask DisposeAsync() => file.DisposeAsync();
    }
}
