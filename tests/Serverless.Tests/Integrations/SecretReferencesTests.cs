using System.Text;
using Serverless.Functions.Integrations;

namespace Serverless.Tests.Integrations;

/// <summary>References to integration secrets in header values, and taking secret values out of echoed bytes.</summary>
public sealed class SecretReferencesTests
{
    [Fact]
    public void References_AreFoundAnywhereInAValue_AndReplaced()
    {
        const string value = "Bearer {{secret:github/token}} and {{secret:my.api/KEY_2}}";

        Assert.Equal([new SecretReference("github", "token"), new SecretReference("my.api", "KEY_2")], SecretReferences.In(value));
        Assert.Equal("Bearer T and K", SecretReferences.Replace(value, r => r.Name == "token" ? "T" : "K"));
        Assert.Null(SecretReferences.Error(value));
        Assert.Null(SecretReferences.Error("no reference at all {{ braces }}"));
    }

    [Theory]
    [InlineData("{{secret:github}}")]
    [InlineData("{{secret:GitHub/token}}")]
    [InlineData("{{secret:github/token}")]
    [InlineData("{{secret:github/to ken}}")]
    [InlineData("ok {{secret:a/b}} then {{secret:}}")]
    public void MalformedReferences_AreReported(string value) => Assert.NotNull(SecretReferences.Error(value));

    [Fact]
    public void Redaction_ReplacesEveryOccurrence_AndACutOffEnd()
    {
        const string secret = "sk_live_0123456789abcdef";
        var body = Encoding.UTF8.GetBytes($"auth: Bearer {secret}; again {secret}; cut sk_live_01");

        var whole = Encoding.UTF8.GetString(SecretRedaction.Redact(body, [secret], truncated: false));
        var cut = Encoding.UTF8.GetString(SecretRedaction.Redact(body, [secret], truncated: true));

        Assert.Equal("auth: Bearer [secret]; again [secret]; cut sk_live_01", whole);
        Assert.Equal("auth: Bearer [secret]; again [secret]; cut ", cut);
        Assert.DoesNotContain(secret, cut, StringComparison.Ordinal);
    }
}
