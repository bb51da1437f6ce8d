using System.Net;

namespace Serverless.Functions.Missions;

/// <summary>What a webhook may do with an address inside a <see cref="SpecialPurposeBlock"/>.</summary>
internal enum WebhookTargetRule
{
    /// <summary>Refused: the registry does not say the block is globally reachable.</summary>
    Refused,

    /// <summary>Allowed: the registry says the block is globally reachable.</summary>
    Allowed,

    /// <summary>Judged by the IPv4 address in the last 32 bits, which is what a connection really reaches.</summary>
    EmbeddedIPv4,
}

/// <summary>One row of a special-purpose address table: a prefix, its registry name and RFC, and the webhook rule.</summary>
internal sealed class SpecialPurposeBlock(string prefix, string name, string rfc, WebhookTargetRule rule)
{
    private readonly IPNetwork network = IPNetwork.Parse(prefix);

    /// <summary>The block as the registry writes it, e.g. <c>64:ff9b:1::/48</c>.</summary>
    public string Prefix { get; } = prefix;

    /// <summary>The registry's name for the block.</summary>
    public string Name { get; } = name;

    /// <summary>The RFC (or registry) that defines the block.</summary>
    public string Rfc { get; } = rfc;

    /// <summary>Whether a webhook may connect to an address in the block.</summary>
    public WebhookTargetRule Rule { get; } = rule;

    /// <summary>The prefix length; the longest matching prefix decides.</summary>
    public int PrefixLength => network.PrefixLength;

    /// <summary>Whether <paramref name="address"/> lies inside the block (same family only).</summary>
    /// <remarks>
    /// Compares the bits itself: <see cref="IPNetwork.Contains"/> treats an IPv4-mapped IPv6 address as its IPv4
    /// address, so no IPv6 block would ever contain <c>::ffff:a.b.c.d</c>.
    /// </remarks>
    public bool Contains(IPAddress address)
    {
        if (address.AddressFamily != network.BaseAddress.AddressFamily)
        {
            return false;
        }

        Span<byte> candidate = stackalloc byte[16];
        Span<byte> prefix = stackalloc byte[16];
        address.TryWriteBytes(candidate, out _);
        network.BaseAddress.TryWriteBytes(prefix, out _);
        var wholeBytes = network.PrefixLength / 8;
        if (!candidate[..wholeBytes].SequenceEqual(prefix[..wholeBytes]))
        {
            return false;
        }

        var restBits = network.PrefixLength % 8;
        var mask = (byte)(0xFF << (8 - restBits));
        return restBits == 0 || (candidate[wholeBytes] & mask) == prefix[wholeBytes];
    }

    /// <summary>How the block reads in a refusal, e.g. <c>Loopback (127.0.0.0/8, RFC 1122)</c>.</summary>
    public override string ToString() => $"{Name} ({Prefix}, {Rfc})";
}
