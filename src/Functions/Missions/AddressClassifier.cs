using System.Net;
using System.Net.Sockets;

namespace Serverless.Functions.Missions;

/// <summary>
/// Decides whether a webhook may connect to an address, by the IANA special-purpose registries
/// (<see cref="SpecialPurposeAddresses"/>): the longest matching block decides, and an address no block
/// matches is ordinary unicast. Works on the resolved <see cref="IPAddress"/>, so every spelling of a host
/// (decimal, octal, hex, IPv6 forms) is judged by what it really is.
/// </summary>
public static class AddressClassifier
{
    /// <summary>Whether connecting to <paramref name="address"/> is refused (and why, for the run log).</summary>
    public static bool IsBlocked(IPAddress address, out string reason)
    {
        var table = address.AddressFamily switch
        {
            AddressFamily.InterNetwork => SpecialPurposeAddresses.IPv4,
            AddressFamily.InterNetworkV6 => SpecialPurposeAddresses.IPv6,
            _ => null,
        };
        if (table is null)
        {
            reason = "not an IP address";
            return true;
        }

        var block = FindBlock(table, address);
        switch (block?.Rule)
        {
            case WebhookTargetRule.Refused:
                reason = block.ToString();
                return true;
            case WebhookTargetRule.EmbeddedIPv4:
                var embedded = new IPAddress(address.GetAddressBytes().AsSpan(12, 4));
                if (IsBlocked(embedded, out var inner))
                {
                    reason = $"{embedded} inside {block}, which is {inner}";
                    return true;
                }

                break;
        }

        reason = string.Empty;
        return false;
    }

    /// <summary>The block that decides <paramref name="address"/>: the longest matching prefix, or null for ordinary unicast.</summary>
    internal static SpecialPurposeBlock? FindBlock(IReadOnlyList<SpecialPurposeBlock> table, IPAddress address)
    {
        SpecialPurposeBlock? best = null;
        foreach (var block in table)
        {
            if (block.Contains(address) && (best is null || block.PrefixLength > best.PrefixLength))
            {
                best = block;
            }
        }

        return best;
    }
}
