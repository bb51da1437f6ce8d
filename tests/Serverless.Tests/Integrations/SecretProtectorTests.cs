using System.Security.Cryptography;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Serverless.Functions.Secrets;

namespace Serverless.Tests.Integrations;

/// <summary>The app's keyring: a cipher names its key, opens under any configured key, and is bound to its place.</summary>
public sealed class SecretProtectorTests
{
    private static readonly string Key1 = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
    private static readonly string Key2 = Convert.ToBase64String(Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());
    private static readonly byte[] Value = "ghp_0123456789abcdefghij"u8.ToArray();

    [Fact]
    public void AfterRotation_OldCiphersStillOpen_NewOnesUseTheActiveKey_AndTheOldKeyCanGoOnceReencrypted()
    {
        var before = Protector(new() { ["k1"] = Key1 }, "k1");
        var during = Protector(new() { ["k1"] = Key1, ["k2"] = Key2 }, "k2");
        var after = Protector(new() { ["k2"] = Key2 }, "k2");
        var old = before.Protect(Value, "place");

        var reencrypted = during.Protect(during.Unprotect(old, "place"), "place");

        Assert.StartsWith("k1:", old, StringComparison.Ordinal);
        Assert.False(during.IsCurrent(old));
        Assert.Equal(Value, during.Unprotect(old, "place"));
        Assert.StartsWith("k2:", reencrypted, StringComparison.Ordinal);
        Assert.True(during.IsCurrent(reencrypted));
        Assert.Equal(Value, after.Unprotect(reencrypted, "place"));
        var gone = Assert.ThrowsAny<CryptographicException>(() => after.Unprotect(old, "place"));
        Assert.Contains("'k1', which is not configured", gone.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("ghp_", gone.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ACipher_IsBoundToItsPlace()
    {
        var protector = Protector(new() { ["k1"] = Key1 }, "k1");
        var stored = protector.Protect(Value, "integration-secret|u1|github|token");

        Assert.False(protector.CanUnprotect(stored, "integration-secret|u2|github|token"));
        Assert.False(protector.CanUnprotect(stored, "integration-secret|u1|github|other"));
        Assert.True(protector.CanUnprotect(stored, "integration-secret|u1|github|token"));
    }

    [Fact]
    public void OutsideDevelopment_KeysAreRequired()
    {
        Assert.Throws<InvalidOperationException>(() => Protector([], null, Environments.Production));
        Assert.Throws<InvalidOperationException>(() => Protector(new() { ["k1"] = Key1 }, "k9", Environments.Production));
        Assert.Throws<InvalidOperationException>(() => Protector(new() { ["k1"] = "c2hvcnQ=" }, "k1", Environments.Production));
    }

    private static SecretProtector Protector(Dictionary<string, string> keys, string? active, string environment = "Production") =>
        new(keys, active, new HostingEnvironment { EnvironmentName = environment });
}
