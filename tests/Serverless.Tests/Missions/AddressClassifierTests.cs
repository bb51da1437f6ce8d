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
}
