using FsCheck.Fluent;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

public sealed class KeyEncodingTests
{
    [Theory]
    [InlineData("plain-user_42", "plain-user_42")]
    [InlineData("auth0|abc", "auth0!7Cabc")]
    [InlineData("a/b\\c#d?e", "a!2Fb!5Cc!23d!3Fe")]
    [InlineData("100%!", "100!25!21")]
    [InlineData("tab\there", "tab!09here")]
    [InlineData("\u0085", "!85")]
    [InlineData("O'Brien", "O'Brien")]
    [InlineData("é中😀", "é中😀")]
    public void Encode_EscapesExactlyTheCharactersKeysCannotHold(string raw, string encoded)
    {
        Assert.Equal(encoded, KeyEncoding.Encode(raw));
        Assert.Equal(raw, KeyEncoding.Decode(encoded));
    }

    [Fact]
    public void Encode_LoneSurrogate_BecomesAWideEscape()
    {
        // Kept out of InlineData: xunit's serializer replaces a lone surrogate with U+FFFD.
        Assert.Equal("a!uD800b", KeyEncoding.Encode("a\ud800b"));
        Assert.Equal("a\ud800b", KeyEncoding.Decode("a!uD800b"));
    }

    [Fact]
    public void Decode_OfAnyString_InvertsEncode() =>
        Properties.Check(Properties.AnyString, s => KeyEncoding.Decode(KeyEncoding.Encode(s)) == s);

    [Fact]
    public void Encode_LeavesOnlyCharactersAKeyMayHold_AndNoSeparator() =>
        Properties.Check(Properties.AnyString, s => IsLegalSegment(KeyEncoding.Encode(s)));

    [Fact]
    public void Encode_PreservesPrefixes() =>
        Properties.Check(Gen.Two(Properties.WellFormedString), pair =>
            KeyEncoding.Encode(pair.Item1 + pair.Item2) == KeyEncoding.Encode(pair.Item1) + KeyEncoding.Encode(pair.Item2));

    [Fact]
    public void ComposedKeys_OfDifferentSegments_NeverCollide() =>
        Properties.Check(Gen.Two(Gen.Two(Properties.AnyString)), pairs =>
            (pairs.Item1.Item1 == pairs.Item2.Item1 && pairs.Item1.Item2 == pairs.Item2.Item2)
            == (KeyEncoding.Compose(pairs.Item1.Item1, pairs.Item1.Item2) == KeyEncoding.Compose(pairs.Item2.Item1, pairs.Item2.Item2)));

    [Fact]
    public void Split_InvertsCompose() =>
        Properties.Check(Gen.Two(Properties.AnyString), p => KeyEncoding.Split(KeyEncoding.Compose("thread", p.Item1, p.Item2)).SequenceEqual(["thread", p.Item1, p.Item2]));

    [Fact]
    public void Compose_LongerThanTheLimitOfBothAzureAndAzurite_Throws()
    {
        Assert.Equal(512, KeyEncoding.Compose(new string('a', 512)).Length);
        var error = Assert.Throws<KeyTooLongException>(() => KeyEncoding.Compose(new string('/', 200)));
        Assert.Equal(600, error.Length);
    }

    [Theory]
    [InlineData("!")]
    [InlineData("!4")]
    [InlineData("!uD8")]
    [InlineData("!ZZ")]
    public void Decode_OfTextThatIsNotAnEncoding_Throws(string text) =>
        Assert.Throws<FormatException>(() => KeyEncoding.Decode(text));

    private static bool IsLegalSegment(string key)
    {
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F) || "/\\#?%|".Contains(c, StringComparison.Ordinal))
            {
                return false;
            }

            if (char.IsHighSurrogate(c) && i + 1 < key.Length && char.IsLowSurrogate(key[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                return false;
            }
        }

        return true;
    }
}
