using System.Text;
using Serverless.Functions.Missions;

namespace Serverless.Tests.Missions;

/// <summary>The run log's 1 KiB excerpt is valid text: it never ends inside a character.</summary>
public sealed class ResponseExcerptTests
{
    [Fact]
    public void EmptyBody_HasNoExcerpt() => Assert.Null(WebhookSender.ExcerptOf([], whole: true));

    [Fact]
    public void ShortWholeBody_IsKeptWhole() =>
        Assert.Equal("héllo €𝄞", WebhookSender.ExcerptOf(Encoding.UTF8.GetBytes("héllo €𝄞"), whole: true));

    [Theory]
    [InlineData("€", 341)] // 3 bytes: 341 × 3 = 1,023
    [InlineData("é", 512)] // 2 bytes: exactly 1,024
    [InlineData("𝄞", 256)] // 4 bytes: exactly 1,024
    public void LongBody_IsCutAtTheLastWholeCharacterWithinOneKiB(string character, int expectedCharacters)
    {
        var body = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(character, 1000)));

        var excerpt = WebhookSender.ExcerptOf(body, whole: true)!;

        Assert.Equal(string.Concat(Enumerable.Repeat(character, expectedCharacters)), excerpt);
        Assert.True(Encoding.UTF8.GetByteCount(excerpt) <= WebhookSender.ExcerptBytes);
    }

    [Fact]
    public void CutOffBody_DropsTheHalfCharacterAtItsEnd()
    {
        var body = Encoding.UTF8.GetBytes("ab€")[..4]; // "ab" and the first two bytes of €

        Assert.Equal("ab", WebhookSender.ExcerptOf(body, whole: false));
    }
}
