using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Serverless.Storage.Memories;

/// <summary>
/// The words a memory is found by: its key, tags and the strings of its value, cut at letters and digits,
/// lower-cased (invariant), 2 to 32 characters, distinct, the first <see cref="MaxPerMemory"/> in that order.
/// The index rows of one memory are written in the memory's own transaction, so the cap keeps any change of
/// words (old ones deleted, new ones added) plus the memory row within 100 operations.
/// </summary>
public static class MemoryWords
{
    /// <summary>Words indexed per memory: 1 + 48 deletes + 48 adds + an idempotency record stays within one transaction.</summary>
    public const int MaxPerMemory = 48;

    /// <summary>Words a query may hold.</summary>
    public const int MaxPerQuery = 8;

    /// <summary>The indexed words of a memory.</summary>
    public static IReadOnlyList<string> Of(string key, IEnumerable<string> tags, string valueJson)
    {
        var words = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Take(string text)
        {
            foreach (var word in Split(text))
            {
                if (words.Count < MaxPerMemory && seen.Add(word))
                {
                    words.Add(word);
                }
            }
        }

        Take(key);
        foreach (var tag in tags)
        {
            Take(tag);
        }

        using var document = JsonDocument.Parse(valueJson);
        foreach (var text in Strings(document.RootElement))
        {
            if (words.Count >= MaxPerMemory)
            {
                break;
            }

            Take(text);
        }

        return words;
    }

    /// <summary>The words of a query, as <see cref="Of"/> cuts them.</summary>
    public static IReadOnlyList<string> OfQuery(string query) => Split(query).Distinct(StringComparer.Ordinal).ToList();

    private static IEnumerable<string> Split(string text)
    {
        var word = new StringBuilder();
        foreach (var rune in text.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                word.Append(Rune.ToLowerInvariant(rune).ToString());
                continue;
            }

            if (Word(word) is { } done)
            {
                yield return done;
            }
        }

        if (Word(word) is { } last)
        {
            yield return last;
        }
    }

    private static string? Word(StringBuilder word)
    {
        var text = word.ToString();
        word.Clear();
        return text.Length is >= 2 and <= 32 ? text.Normalize(NormalizationForm.FormC).ToString(CultureInfo.InvariantCulture) : null;
    }

    private static IEnumerable<string> Strings(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                yield return element.GetString()!;
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray().SelectMany(Strings))
                {
                    yield return item;
                }

                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    foreach (var item in Strings(property.Value))
                    {
                        yield return item;
                    }
                }

                break;
        }
    }
}
