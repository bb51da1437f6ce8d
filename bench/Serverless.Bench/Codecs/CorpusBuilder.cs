using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Serverless.Bench.Codecs;

/// <summary>
/// Packs real text into chat-transcript NDJSON:
/// <c>{"role":"user"|"assistant","content":"...","createdAt":"...","model":"..."}</c> per line,
/// each content a 200..4000 character chunk cut from one source file. All choices come from a
/// seeded <see cref="Random"/> over sorted file lists, so a machine rebuilds the same corpus.
/// </summary>
internal sealed class CorpusBuilder(int seed, long targetBytes)
{
    public const int MinContentChars = 200;
    public const int MaxContentChars = 4000;

    // At most this much text per file, so one huge changelog or XML file cannot dominate.
    private const int MaxCharsPerFile = 48 * 1024;

    private static readonly string[] Models = ["gpt-4o-2024-08-06", "claude-sonnet-4-5", "gemini-2.5-pro", "mistral-large-2411"];

    // Stored transcripts keep text as UTF-8; the default encoder would turn every '<', '>', '&',
    // '\'' and non-ASCII letter into \uXXXX, inflating XML and prose and flattering every ratio.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public Corpus Build(IReadOnlyList<CorpusSource> sources)
    {
        var random = new Random(seed);
        var cursors = sources.Select(s => new SourceCursor(s, random)).ToList();
        var output = new MemoryStream();
        var lines = new List<Range>();
        using var json = new Utf8JsonWriter(output, JsonOptions);

        var clock = new DateTimeOffset(2025, 3, 3, 8, 0, 0, TimeSpan.Zero);
        var model = Models[0];
        var messagesLeftInConversation = 0;
        var role = "user";

        while (output.Length < targetBytes)
        {
            var live = cursors.Where(c => !c.Exhausted).ToList();
            var cursor = PickWeighted(live, random);
            if (cursor is null)
            {
                break; // every source is used up: the corpus is smaller than asked (reported by the caller)
            }

            var content = cursor.NextChunk(random.Next(MinContentChars, MaxContentChars + 1));
            if (content is null)
            {
                continue;
            }

            if (messagesLeftInConversation == 0)
            {
                // A new conversation: new model, a gap of hours, and the user speaks first.
                messagesLeftInConversation = random.Next(8, 41);
                model = Models[random.Next(Models.Length)];
                clock = clock.AddHours(random.Next(1, 49));
                role = "user";
            }

            clock = clock.AddMilliseconds(random.Next(3_000, 300_000));
            var start = (int)output.Length;
            json.Reset(output);
            json.WriteStartObject();
            json.WriteString("role", role);
            json.WriteString("content", content);
            json.WriteString("createdAt", clock.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("model", model);
            json.WriteEndObject();
            json.Flush();
            lines.Add(start..(int)output.Length);
            output.WriteByte((byte)'\n');

            cursor.Messages++;
            messagesLeftInConversation--;
            role = role == "user" ? "assistant" : "user";
        }

        return new Corpus(output.ToArray(), lines, cursors.Select(c => c.Usage()).ToList());
    }

    private static SourceCursor? PickWeighted(List<SourceCursor> live, Random random)
    {
        var total = live.Sum(c => c.Source.Weight);
        var x = random.NextDouble() * total;
        foreach (var cursor in live)
        {
            x -= cursor.Source.Weight;
            if (x < 0)
            {
                return cursor;
            }
        }

        return live.LastOrDefault();
    }

    /// <summary>Walks one source's files in a seeded shuffled order, cutting consecutive chunks from each.</summary>
    private sealed class SourceCursor
    {
        private readonly string[] order;
        private readonly HashSet<string> seenContent = new(StringComparer.Ordinal);
        private int nextFile;
        private string text = "";
        private int position;
        private int limit;
        private int filesUsed;
        private int filesSkipped;
        private long textBytes;

        public SourceCursor(CorpusSource source, Random random)
        {
            Source = source;
            // Shuffle so the corpus samples the whole list rather than packages starting with 'a'.
            order = [.. source.Files];
            random.Shuffle(order);
        }

        public CorpusSource Source { get; }

        public bool Exhausted { get; private set; }

        public int Messages { get; set; }

        /// <summary>About <paramref name="length"/> characters of the current file, ending on a line break when one is near.</summary>
        public string? NextChunk(int length)
        {
            while (limit - position < MinContentChars)
            {
                if (!OpenNextFile())
                {
                    Exhausted = true;
                    return null;
                }
            }

            var end = Math.Min(position + length, limit);
            if (end < limit)
            {
                // Prefer whole lines, as a person pasting text would, if that keeps at least half the length.
                var newline = text.LastIndexOf('\n', end - 1, end - position);
                if (newline + 1 - position >= Math.Max(MinContentChars, length / 2))
                {
                    end = newline + 1;
                }
            }

            if (char.IsHighSurrogate(text[end - 1]))
            {
                end--; // never split a surrogate pair
            }

            var chunk = text[position..end];
            position = end;
            textBytes += Encoding.UTF8.GetByteCount(chunk);
            return chunk;
        }

        private bool OpenNextFile()
        {
            while (nextFile < order.Length)
            {
                var path = order[nextFile++];
                string? content = null;
                try
                {
                    content = CorpusSource.DecodeText(CorpusSource.ReadBytes(path));
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
                {
                    // unreadable: counted as skipped below
                }

                // Skip binary/undecodable files, and copies (symlinked package docs, the same XML in two packs).
                if (content is null || content.Length < MinContentChars || !seenContent.Add(Fingerprint(content)))
                {
                    filesSkipped++;
                    continue;
                }

                text = content;
                position = 0;
                limit = Math.Min(content.Length, MaxCharsPerFile);
                filesUsed++;
                return true;
            }

            return false;
        }

        private static string Fingerprint(string content) =>
            Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(content)));

        public CorpusSourceUsage Usage() => new(Source.Name, Source.Files.Count, filesUsed, filesSkipped, textBytes, Messages);
    }
}
