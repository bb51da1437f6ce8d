using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Serverless.Functions.Missions;

namespace Serverless.Tests.Missions;

public sealed class MissionSecretProtectorTests
{
    private const string SigningKey = "development-only-signing-key-not-a-secret-0123456789";

    private static readonly byte[] Secret = Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray();

    private static MissionSecretProtector Protector(string environment, string? signingKey, Dictionary<string, string>? keys = null, string? active = null) =>
        new(Options.Create(new MissionOptions { SecretKeys = keys ?? [], ActiveSecretKeyId = active }), new HostingEnvironment { EnvironmentName = environment }, signingKey);

    [Fact]
    public void DevelopmentKey_IsTheSameForTheSameSigningKey_SoSecretsSurviveANewProcess()
    {
        var stored = Protector(Environments.Development, SigningKey).Protect(Secret, "user", "m1");

        Assert.Equal(Secret, Protector(Environments.Development, SigningKey).Unprotect(stored, "user", "m1"));
        Assert.StartsWith(MissionSecretProtector.DevelopmentKey(SigningKey).KeyId + ":", stored, StringComparison.Ordinal);
        Assert.Matches("^dev-[0-9a-f]{8}$", MissionSecretProtector.DevelopmentKey(SigningKey).KeyId);
    }

    [Fact]
    public void AnotherSigningKey_DerivesAnotherKeyId_AndTheOldSecretFailsNamingItsKey()
    {
        var stored = Protector(Environments.Development, SigningKey).Protect(Secret, "user", "m1");
        var other = Protector(Environments.Development, SigningKey + "-changed");

        var error = Assert.ThrowsAny<CryptographicException>(() => other.Unprotect(stored, "user", "m1"));

        Assert.NotEqual(MissionSecretProtector.DevelopmentKey(SigningKey).KeyId, MissionSecretProtector.DevelopmentKey(SigningKey + "-changed").KeyId);
        Assert.Contains($"'{MissionSecretProtector.DevelopmentKey(SigningKey).KeyId}', which is not configured", error.Message, StringComparison.Ordinal);
        Assert.False(other.CanUnprotect(stored, "user", "m1"));
    }

    [Fact]
    public void CipherOfAnotherMission_OrAltered_DoesNotDecrypt()
    {
        var protector = Protector(Environments.Development, SigningKey);
        var stored = protector.Protect(Secret, "user", "m1");
        var altered = stored[..^4] + (stored[^4] == 'A' ? "B" : "A") + stored[^3..];

        Assert.False(protector.CanUnprotect(stored, "user", "m2"));
        Assert.False(protector.CanUnprotect(altered, "user", "m1"));
        Assert.False(protector.CanUnprotect("dev-0000:not base64!", "user", "m1"));
        Assert.False(protector.CanUnprotect("no key id", "user", "m1"));
    }

    [Fact]
    public void ConfiguredKeys_WinOverTheDevelopmentKey()
    {
        var key = Convert.ToBase64String(new byte[32]);

        var stored = Protector(Environments.Development, SigningKey, new() { ["k1"] = key }, "k1").Protect(Secret, "user", "m1");

        Assert.StartsWith("k1:", stored, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("too-short")]
    public void Development_WithoutKeysOrAUsableSigningKey_DoesNotStart(string? signingKey)
    {
        var error = Assert.Throws<InvalidOperationException>(() => Protector(Environments.Development, signingKey));

        Assert.Contains("Auth:Development:SigningKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_NeverDerivesAKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Protector(Environments.Production, SigningKey));

        Assert.Contains("Missions:ActiveSecretKeyId", error.Message, StringComparison.Ordinal);
    }
}
