using System.Text;

namespace Serverless.Bench.Conversations;

/// <summary>
/// Deterministic chat-like text: sentences of made-up words drawn with a skew towards frequent
/// ones, so it compresses roughly like prose (a block of one repeated letter would flatter br).
/// Only letters, digits, spaces, commas and full stops: JSON carries it unescaped, one byte per character.
/// </summary>
internal static class ChatText
{
    private static readonly string[] Words = Vocabulary();

    /// <summary>Exactly <paramref name="chars"/> characters of text, the same for the same <paramref name="seed"/>.</summary>
    public static string Make(int seed, int chars)
    {
        var random = new Random(seed);
        var text = new StringBuilder(chars + 64);
        text.Append("Message ").Append(seed).Append(". ");
        while (text.Length < chars)
        {
            var words = random.Next(6, 19);
            for (var w = 0; w < words; w++)
            {
                // Cubing a uniform draw favours the low indices: a few words are common, most are rare.
                var word = Words[(int)(Words.Length * Math.Pow(random.NextDouble(), 3))];
                if (w == 0)
                {
                    text.Append(char.ToUpperInvariant(word[0])).Append(word, 1, word.Length - 1);
                }
                else
                {
                    text.Append(word);
                }

                text.Append(w == words - 1 ? ". " : random.Next(12) == 0 ? ", " : " ");
            }
        }

        return text.ToString(0, chars);
    }

    private static string[] Vocabulary()
    {
        string[] syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "qu", "ex", "an", "or", "el", "im", "st", "pr", "de", "co", "ma", "ve", "th", "ing", "er", "al"];
        var random = new Random(4711);
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < 4096)
        {
            var word = new StringBuilder();
            for (var s = random.Next(1, 5); s > 0; s--)
            {
                word.Append(syllables[random.Next(syllables.Length)]);
            }

            words.Add(word.ToString());
        }

        return [.. words];
    }
}
