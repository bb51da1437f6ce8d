using FsCheck;
using FsCheck.Fluent;

namespace Serverless.Tests.Testing;

/// <summary>Generators shared by the property-based tests, and a runner that fails the xunit test on a counterexample.</summary>
public static class Properties
{
    /// <summary>
    /// Characters that stress keys, filters and JSON: every character a key forbids, our escape
    /// and separator, quotes, percent, non-ASCII letters, emoji halves and whole, and lone surrogates.
    /// </summary>
    private static readonly char[] Awkward =
    [
        '/', '\\', '#', '?', '|', '!', '%', '\'', '"', '+', '&', '=', ' ', '*', '(', ')', ',', '.', '~', '`',
        '\0', '\t', '\n', '\r', '\u001f', '\u007f', '\u0085', '\u009f', '\u00a0', 'é', 'ß', '中', '\u2028', '\ufeff', '\uffff',
        '\ud83d', '\ude00',
    ];

    /// <summary>Any UTF-16 string, lone surrogates included, biased toward awkward characters.</summary>
    public static Gen<string> AnyString { get; } =
        Gen.OneOf(Gen.Elements(Awkward), Gen.Choose(0, 0xFFFF).Select(i => (char)i), Gen.Choose('a', 'z').Select(i => (char)i))
            .ArrayOf()
            .Select(chars => new string(chars));

    /// <summary>Strings without lone surrogates (what JSON and the Table service carry faithfully).</summary>
    public static Gen<string> WellFormedString { get; } =
        Gen.OneOf(
                AnyString.Select(s => s.Replace('\ud83d', 'x').Replace('\ude00', 'y')),
                Gen.Elements("😀", "a😀b", "𝄞", "Ünïcödé", "x' or PartitionKey ne '", "'", "''"))
            .Where(s => !s.Any(char.IsSurrogate) || IsWellFormed(s));

    /// <summary>Runs <paramref name="property"/> on <paramref name="count"/> generated cases; throws with the shrunk counterexample.</summary>
    public static void Check<T>(Gen<T> generator, Func<T, bool> property, int count = 500) =>
        Prop.ForAll(generator.ToArbitrary(), property).Check(Config.QuickThrowOnFailure.WithMaxTest(count));

    /// <summary>As <see cref="Check{T}(Gen{T}, Func{T, bool}, int)"/>, shrinking a counterexample with <paramref name="shrink"/> (smaller candidates first).</summary>
    public static void Check<T>(Gen<T> generator, Func<T, IEnumerable<T>> shrink, Func<T, bool> property, int count) =>
        Prop.ForAll(Arb.From(generator, shrink), property).Check(Config.QuickThrowOnFailure.WithMaxTest(count));

    private static bool IsWellFormed(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                return false;
            }
        }

        return true;
    }
}
