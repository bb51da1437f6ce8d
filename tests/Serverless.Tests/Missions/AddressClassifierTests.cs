using System.Net;
using System.Net.Sockets;
using Serverless.Functions.Missions;

namespace Serverless.Tests.Missions;

public sealed class AddressClassifierTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("127.255.255.254")]
    [InlineData("10.0.0.1")]
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.0.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("100.127.255.255")]
    [InlineData("0.0.0.0")]
    [InlineData("0.1.2.3")]
    [InlineData("224.0.0.1")]
    [InlineData("239.255.255.250")]
    [InlineData("255.255.255.255")]
    [InlineData("240.0.0.1")]
    [InlineData("192.0.0.170")]
    [InlineData("198.18.0.1")]
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fe80::1")]
    [InlineData("febf:ffff::1")]
    [InlineData("fc00::1")]
    [InlineData("fd12:3456::1")]
    [InlineData("fd00:ec2::254")]
    [InlineData("ff02::1")]
    [InlineData("::ffff:127.0.0.1")]
    [InlineData("::ffff:10.1.2.3")]
    [InlineData("::ffff:169.254.169.254")]
    [InlineData("::ffff:192.168.0.1")]
    [InlineData("::ffff:100.64.0.1")]
    [InlineData("::127.0.0.1")]
    [InlineData("::169.254.169.254")]
    [InlineData("::10.0.0.1")]
    [InlineData("64:ff9b::127.0.0.1")]
    [InlineData("2002:7f00:1::")]
    [InlineData("2002:a9fe:a9fe::1")]
    public void RefusedAddresses(string address)
    {
        Assert.True(AddressClassifier.IsBlocked(IPAddress.Parse(address), out var reason), address);
        Assert.NotEmpty(reason);
    }

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("1.1.1.1")]
    [InlineData("172.15.255.255")]
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]
    [InlineData("100.128.0.1")]
    [InlineData("169.253.1.1")]
    [InlineData("192.169.0.1")]
    [InlineData("2606:4700:4700::1111")]
    [InlineData("2a00:1450:4001::200e")]
    [InlineData("::ffff:8.8.8.8")]
    public void PublicAddresses_AreAllowed(string address) =>
        Assert.False(AddressClassifier.IsBlocked(IPAddress.Parse(address), out _), address);

    /// <summary>
    /// One row per entry of SpecialPurposeAddresses (IANA IPv4/IPv6 special-purpose registries and the blocks added
    /// to them): the entry's prefix, an address that entry decides, and the literal verdict. Written out by hand,
    /// not generated from the table, so a wrong row in the table fails here.
    /// </summary>
    public static TheoryData<string, string, bool> RegistryEntries => new()
    {
        // IPv4 special-purpose registry.
        { "0.0.0.0/8", "0.1.2.3", true },
        { "0.0.0.0/32", "0.0.0.0", true },
        { "10.0.0.0/8", "10.255.255.255", true },
        { "100.64.0.0/10", "100.127.255.255", true },
        { "127.0.0.0/8", "127.0.0.1", true },
        { "169.254.0.0/16", "169.254.169.254", true },
        { "172.16.0.0/12", "172.31.255.255", true },
        { "192.0.0.0/24", "192.0.0.100", true },
        { "192.0.0.0/29", "192.0.0.1", true },
        { "192.0.0.8/32", "192.0.0.8", true },
        { "192.0.0.9/32", "192.0.0.9", false },
        { "192.0.0.10/32", "192.0.0.10", false },
        { "192.0.0.170/32", "192.0.0.170", true },
        { "192.0.0.171/32", "192.0.0.171", true },
        { "192.0.2.0/24", "192.0.2.1", true },
        { "192.31.196.0/24", "192.31.196.1", false },
        { "192.52.193.0/24", "192.52.193.1", false },
        { "192.88.99.0/24", "192.88.99.1", true },
        { "192.88.99.2/32", "192.88.99.2", true },
        { "192.168.0.0/16", "192.168.1.1", true },
        { "192.175.48.0/24", "192.175.48.6", false },
        { "198.18.0.0/15", "198.19.255.255", true },
        { "198.51.100.0/24", "198.51.100.7", true },
        { "203.0.113.0/24", "203.0.113.9", true },
        { "240.0.0.0/4", "240.0.0.1", true },
        { "255.255.255.255/32", "255.255.255.255", true },
        { "224.0.0.0/4", "239.255.255.250", true },

        // IPv6 special-purpose registry.
        { "::1/128", "::1", true },
        { "::/128", "::", true },
        { "::ffff:0:0/96", "::ffff:127.0.0.1", true },
        { "::ffff:0:0/96", "::ffff:192.0.0.170", true },
        { "::ffff:0:0/96", "::ffff:8.8.8.8", false },
        { "64:ff9b::/96", "64:ff9b::7f00:1", true },
        { "64:ff9b::/96", "64:ff9b::a9fe:a9fe", true },
        { "64:ff9b::/96", "64:ff9b::808:808", false },
        { "64:ff9b:1::/48", "64:ff9b:1::808:808", true },
        { "64:ff9b:1::/48", "64:ff9b:1:ffff::a9fe:a9fe", true },
        { "100::/64", "100::1", true },
        { "100:0:0:1::/64", "100:0:0:1::1", true },
        { "2001::/23", "2001:100::1", true },
        { "2001::/32", "2001:0:4136:e378:8000:63bf:3fff:fdd2", true },
        { "2001::/32", "2001::808:808", true },
        { "2001:1::1/128", "2001:1::1", false },
        { "2001:1::2/128", "2001:1::2", false },
        { "2001:1::3/128", "2001:1::3", false },
        { "2001:2::/48", "2001:2::1", true },
        { "2001:3::/32", "2001:3::1", false },
        { "2001:4:112::/48", "2001:4:112::1", false },
        { "2001:10::/28", "2001:10::1", true },
        { "2001:20::/28", "2001:20::1", false },
        { "2001:30::/28", "2001:30::1", false },
        { "2001:db8::/32", "2001:db8::1", true },
        { "2002::/16", "2002:808:808::1", true },
        { "2002::/16", "2002:7f00:1::", true },
        { "2620:4f:8000::/48", "2620:4f:8000::42", false },
        { "3fff::/20", "3fff:fff::1", true },
        { "5f00::/16", "5f00::1", true },
        { "fc00::/7", "fd00:ec2::254", true },
        { "fe80::/10", "fe80::1", true },

        // IPv6 address space: unicast only from 2000::/3.
        { "2000::/3", "2606:4700:4700::1111", false },
        { "::/0", "4000::1", true },
        { "::/0", "1000::1", true },
        { "ff00::/8", "ff02::1", true },
        { "fec0::/10", "fec0::1", true },

        // Obsolete IPv4 embeddings, refused whatever they embed.
        { "::/96", "::8.8.8.8", true },
        { "::/96", "::127.0.0.1", true },
        { "::ffff:0:0:0/96", "::ffff:0:8.8.8.8", true },
        { "::ffff:0:0:0/96", "::ffff:0:127.0.0.1", true },
    };

    [Theory]
    [MemberData(nameof(RegistryEntries))]
    public void RegistryEntry_DecidesItsAddresses(string prefix, string address, bool refused)
    {
        var ip = IPAddress.Parse(address);

        Assert.Equal(refused, AddressClassifier.IsBlocked(ip, out var reason));
        if (refused)
        {
            // The reason names the block that refused it, for the run log and the 400.
            Assert.Contains(prefix, reason, StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(RegistryEntries))]
    public void RegistryEntry_IsTheLongestMatchForItsAddresses(string prefix, string address, bool refused)
    {
        _ = refused;
        var ip = IPAddress.Parse(address);
        var table = ip.AddressFamily == AddressFamily.InterNetwork ? SpecialPurposeAddresses.IPv4 : SpecialPurposeAddresses.IPv6;

        Assert.Equal(prefix, AddressClassifier.FindBlock(table, ip)?.Prefix);
    }

    [Fact]
    public void EveryTableEntry_HasALiteralTestRow()
    {
        var tested = RegistryEntries.Select(row => (string)row[0]).ToHashSet(StringComparer.Ordinal);
        var entries = SpecialPurposeAddresses.IPv4.Concat(SpecialPurposeAddresses.IPv6).Select(b => b.Prefix).ToList();

        Assert.Equal(entries.Order(StringComparer.Ordinal), tested.Order(StringComparer.Ordinal));
        Assert.Equal(entries.Count, tested.Count);
    }

    [Fact]
    public void EmbeddedIPv4_RefusalNamesBothBlocks()
    {
        Assert.True(AddressClassifier.IsBlocked(IPAddress.Parse("64:ff9b::a9fe:a9fe"), out var reason));

        Assert.Contains("169.254.169.254", reason, StringComparison.Ordinal);
        Assert.Contains("64:ff9b::/96", reason, StringComparison.Ordinal);
        Assert.Contains("169.254.0.0/16", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("fe80::1%2")]
    [InlineData("FE80:0000:0000:0000:0000:0000:0000:0001")]
    [InlineData("0:0:0:0:0:ffff:7f00:1")]
    [InlineData("::ffff:0:7f00:1")]
    [InlineData("64:ff9b:0:0:0:0:7f00:1")]
    public void OtherIPv6Spellings_AreJudgedByTheAddress(string spelling) =>
        Assert.True(AddressClassifier.IsBlocked(IPAddress.Parse(spelling), out _), spelling);

    [Theory]
    [InlineData("2130706433")]
    [InlineData("0177.0.0.1")]
    [InlineData("0x7f.0.0.1")]
    [InlineData("127.1")]
    public void OtherSpellingsOfLoopback_ParseToLoopbackAndAreRefused(string spelling)
    {
        // The check runs on the parsed/resolved address, so the spelling does not matter.
        Assert.True(IPAddress.TryParse(spelling, out var address));
        Assert.True(AddressClassifier.IsBlocked(address!, out _));
    }

    [Fact]
    public void EveryIPv4FirstOctet_Loopback127Refused_PublicOnesAllowedUnlessListed()
    {
        var refusedFirstOctets = new HashSet<int> { 0, 10, 127 };
        for (var octet = 1; octet < 224; octet++)
        {
            var address = new IPAddress([(byte)octet, 200, 1, 1]);
            Assert.Equal(refusedFirstOctets.Contains(octet), AddressClassifier.IsBlocked(address, out _));
        }
    }

    [Fact]
    public async Task ConnectCallback_To127001_WithoutAllowList_IsRefused()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var handler = SsrfGuard.CreateHandler(new MissionOptions());
        using var client = new HttpClient(handler);

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/"));
        Assert.IsType<BlockedAddressException>(error.InnerException);
        var byName = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://localhost:{port}/"));
        Assert.IsType<BlockedAddressException>(byName.InnerException);
        var decimalSpelling = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://2130706433:{port}/"));
        Assert.IsType<BlockedAddressException>(decimalSpelling.InnerException);
        Assert.False(listener.Pending());
    }

    [Fact]
    public async Task ConnectCallback_WithAllowList_Connects()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        await using var stream = await SsrfGuard.ConnectAsync(new DnsEndPoint("127.0.0.1", port), new MissionOptions { AllowedLocalTargets = [$"127.0.0.1:{port}"] }, CancellationToken.None);
        using var accepted = await listener.AcceptTcpClientAsync();
        Assert.True(accepted.Connected);
    }

    [Fact]
    public async Task ConnectCallback_WithLoopbackAllowed_ConnectsToLoopback_AndStillRefusesOtherLocalAddresses()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var options = new MissionOptions { AllowLoopbackTargets = true };

        await using var stream = await SsrfGuard.ConnectAsync(new DnsEndPoint("127.0.0.1", port), options, CancellationToken.None);
        using var accepted = await listener.AcceptTcpClientAsync();

        Assert.True(accepted.Connected);
        await Assert.ThrowsAsync<BlockedAddressException>(async () => await SsrfGuard.ConnectAsync(new DnsEndPoint("10.0.0.1", port), options, CancellationToken.None));
        await Assert.ThrowsAsync<BlockedAddressException>(async () => await SsrfGuard.ConnectAsync(new DnsEndPoint("169.254.169.254", 80), options, CancellationToken.None));
        await Assert.ThrowsAsync<BlockedAddressException>(async () => await SsrfGuard.ConnectAsync(new DnsEndPoint("127.0.0.1", port), new MissionOptions(), CancellationToken.None));
    }
}
