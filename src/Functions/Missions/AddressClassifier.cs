using System.Net;
using System.Net.Sockets;

namespace Serverless.Functions.Missions;

/// <summary>
/// Decides whether a webhook may connect to an address: only public unicast. Works on the resolved
/// <see cref="IPAddress"/>, so every spelling of a host (decimal, octal, hex, IPv6 forms) is judged by
/// what it really is.
/// </summary>
public static class AddressClassifier
{
    /// <summary>Whether connecting to <paramref name="address"/> is refused (and why, for the run log).</summary>
    public static bool IsBlocked(IPAddress address, out string reason)
    {
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && EmbeddedIPv4(address) is { } v4)
        {
            // ::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d and 2002:aabb:ccdd:: reach the embedded IPv4 address.
            return IsBlocked(v4, out reason);
        }

        reason = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => ClassifyV4(address.GetAddressBytes()),
            AddressFamily.InterNetworkV6 => ClassifyV6(address),
            _ => "not an IP address",
        } ?? string.Empty;
        return reason.Length > 0;
    }

    private static string? ClassifyV4(byte[] b)
    {
        var a = b[0];
        return a switch
        {
            0 => "this-network (0.0.0.0/8)",
            10 => "private (10.0.0.0/8)",
            127 => "loopback (127.0.0.0/8)",
            100 when (b[1] & 0xC0) == 64 => "carrier-grade NAT (100.64.0.0/10)",
            169 when b[1] == 254 => "link-local or metadata (169.254.0.0/16)",
            172 when (b[1] & 0xF0) == 16 => "private (172.16.0.0/12)",
            192 when b[1] == 168 => "private (192.168.0.0/16)",
            192 when b[1] == 0 && b[2] == 0 => "IETF protocol assignments (192.0.0.0/24)",
            192 when b[1] == 0 && b[2] == 2 => "documentation (192.0.2.0/24)",
            198 when (b[1] & 0xFE) == 18 => "benchmarking (198.18.0.0/15)",
            198 when b[1] == 51 && b[2] == 100 => "documentation (198.51.100.0/24)",
            203 when b[1] == 0 && b[2] == 113 => "documentation (203.0.113.0/24)",
            >= 224 and <= 239 => "multicast (224.0.0.0/4)",
            >= 240 => "reserved or broadcast (240.0.0.0/4)",
            _ => null,
        };
    }

    private static string? ClassifyV6(IPAddress address)
    {
        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback))
        {
            return "loopback (::1)";
        }

        if (address.Equals(IPAddress.IPv6None))
        {
            return "unspecified (::)";
        }

        if (b[0] == 0xFF)
        {
            return "multicast (ff00::/8)";
        }

        if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80)
        {
            return "link-local (fe80::/10)";
        }

        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0)
        {
            return "site-local (fec0::/10)";
        }

        if ((b[0] & 0xFE) == 0xFC)
        {
            // Includes the EC2 metadata address fd00:ec2::254.
            return "unique-local (fc00::/7)";
        }

        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8)
        {
            return "documentation (2001:db8::/32)";
        }

        return null;
    }

    /// <summary>The IPv4 address an IPv6 address stands for, when it embeds one.</summary>
    private static IPAddress? EmbeddedIPv4(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        var b = address.GetAddressBytes();
        var firstTwelveZero = b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0;
        if (firstTwelveZero && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1))
        {
            // IPv4-compatible ::a.b.c.d (deprecated, but some stacks still route it); :: and ::1 are handled as IPv6.
            return new IPAddress(b.AsSpan(12, 4));
        }

        if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
        {
            return new IPAddress(b.AsSpan(12, 4));
        }

        if (b[0] == 0x20 && b[1] == 0x02)
        {
            return new IPAddress(b.AsSpan(2, 4));
        }

        return null;
    }
}
