using System.Text;

namespace Serverless.Tests.Testing;

/// <summary>
/// Deterministic text that compresses roughly like chat prose: sentences of made-up words drawn from a
/// 1,000-word vocabulary with a skew towards frequent ones, numbers, and the odd punctuation. Not one repeated
/// phrase, which would flatter every compressor alike and hide the cost of flushing.
/// </summary>
public static class ChatLikeText
{
    private static readonly string[] Words = Vocabulary();

    /// <summary>Exactly <paramref name="chars"/> characters, the same for the same <paramref name="seed"/>.</summary>
    public static string Make(int seed, int chars)
    {
        var random = new Random(seed);
        var text = new StringBuilder(chars + 32);
        while (text.Length < chars)
        {
            var count = random.Next(5, 20);
            for (var i = 0; i < count; i++)
            {
                // Cubing a uniform draw favours low indices: a few words are common, most are rare.
                var word = Words[(int)(Words.Length * Math.Pow(random.NextDouble(), 3))];
                text.Append(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                text.Append(random.Next(25) == 0 ? $" {random.Next(10_000)} " : i == count - 1 ? ". " : random.Next(10) == 0 ? ", " : " ");
            }
        }

        return text.ToString(0, chars);
    }

    private static string[] Vocabulary()
    {
        string[] syllables = ["ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe", "ri", "so", "tu", "ve", "wa", "xi", "yo", "ze", "st", "tr", "an", "ing", "ed", "er"];
        var random = new Random(1234);
        var words = new HashSet<string>(StringComparer.Ordinal);
        while (words.Count < 1000)
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
