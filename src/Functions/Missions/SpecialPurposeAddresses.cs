using static Serverless.Functions.Missions.WebhookTargetRule;

namespace Serverless.Functions.Missions;

/// <summary>
/// The address blocks a webhook target is judged by, one table per family, transcribed from the IANA IPv4 and
/// IPv6 Special-Purpose Address Registries (RFC 6890, RFC 8190; every row of both as of their 2025 editions),
/// plus the few blocks that other IANA registries define and that are no unicast destination.
/// </summary>
/// <remarks>
/// <para>The rule per row: a registry row whose "Globally Reachable" is True is <see cref="Allowed"/>; False,
/// N/A or blank (terminated rows) is <see cref="Refused"/>. The longest matching prefix decides, so an allowed
/// anycast /32 inside a refused /24 is allowed, and an address no row matches is ordinary unicast.</para>
/// <para>Embedded IPv4: only where a connection really reaches the embedded IPv4 host and the registry vouches
/// for the block is the embedded address judged instead (<see cref="EmbeddedIPv4"/>): IPv4-mapped
/// (<c>::ffff:0:0/96</c>, which a dual-stack socket sends over IPv4) and the well-known NAT64 prefix
/// (<c>64:ff9b::/96</c>, translated to that IPv4 address). Every other embedding is refused whole, as safer than
/// guessing which host a relay or translator picks: the local-use NAT64 prefix <c>64:ff9b:1::/48</c> (its
/// operator chooses the embedding), 6to4 <c>2002::/16</c> and Teredo <c>2001::/32</c> (relays, "Globally
/// Reachable: N/A", the Teredo client address is obfuscated and behind a NAT), the deprecated IPv4-compatible
/// <c>::/96</c> and the RFC 2765 IPv4-translated <c>::ffff:0:0:0/96</c> (not routed on the Internet).</para>
/// <para>Updating: when IANA adds a row, add it here and a literal test row in AddressClassifierTests
/// (a test fails if a table row has no literal test row).</para>
/// </remarks>
internal static class SpecialPurposeAddresses
{
    /// <summary>IPv4 blocks: the special-purpose registry, plus multicast.</summary>
    public static IReadOnlyList<SpecialPurposeBlock> IPv4 { get; } =
    [
        new("0.0.0.0/8", "\"This network\"", "RFC 791 §3.2", Refused),
        new("0.0.0.0/32", "\"This host on this network\"", "RFC 1122 §3.2.1.3", Refused),
        new("10.0.0.0/8", "Private-Use", "RFC 1918", Refused),
        new("100.64.0.0/10", "Shared Address Space (carrier-grade NAT)", "RFC 6598", Refused),
        new("127.0.0.0/8", "Loopback", "RFC 1122 §3.2.1.3", Refused),
        new("169.254.0.0/16", "Link Local (and cloud metadata)", "RFC 3927", Refused),
        new("172.16.0.0/12", "Private-Use", "RFC 1918", Refused),
        new("192.0.0.0/24", "IETF Protocol Assignments", "RFC 6890 §2.1", Refused),
        new("192.0.0.0/29", "IPv4 Service Continuity Prefix", "RFC 7335", Refused),
        new("192.0.0.8/32", "IPv4 dummy address", "RFC 7600", Refused),
        new("192.0.0.9/32", "Port Control Protocol Anycast", "RFC 7723", Allowed),
        new("192.0.0.10/32", "Traversal Using Relays around NAT Anycast", "RFC 8155", Allowed),
        new("192.0.0.170/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2", Refused),
        new("192.0.0.171/32", "NAT64/DNS64 Discovery", "RFC 8880, RFC 7050 §2.2", Refused),
        new("192.0.2.0/24", "Documentation (TEST-NET-1)", "RFC 5737", Refused),
        new("192.31.196.0/24", "AS112-v4", "RFC 7535", Allowed),
        new("192.52.193.0/24", "AMT", "RFC 7450", Allowed),
        new("192.88.99.0/24", "Deprecated (6to4 Relay Anycast)", "RFC 7526", Refused),
        new("192.88.99.2/32", "6a44-relay anycast address", "RFC 6751", Refused),
        new("192.168.0.0/16", "Private-Use", "RFC 1918", Refused),
        new("192.175.48.0/24", "Direct Delegation AS112 Service", "RFC 7534", Allowed),
        new("198.18.0.0/15", "Benchmarking", "RFC 2544", Refused),
        new("198.51.100.0/24", "Documentation (TEST-NET-2)", "RFC 5737", Refused),
        new("203.0.113.0/24", "Documentation (TEST-NET-3)", "RFC 5737", Refused),
        new("240.0.0.0/4", "Reserved", "RFC 1112 §4", Refused),
        new("255.255.255.255/32", "Limited Broadcast", "RFC 8190, RFC 919 §7", Refused),

        // Not in the special-purpose registry (IANA IPv4 Multicast Address Space): no unicast destination.
        new("224.0.0.0/4", "Multicast", "RFC 5771", Refused),
    ];

    /// <summary>IPv6 blocks: the special-purpose registry, the address-space registry's non-unicast blocks, and the embedded-IPv4 forms.</summary>
    public static IReadOnlyList<SpecialPurposeBlock> IPv6 { get; } =
    [
        new("::1/128", "Loopback Address", "RFC 4291", Refused),
        new("::/128", "Unspecified Address", "RFC 4291", Refused),
        new("::ffff:0:0/96", "IPv4-mapped Address", "RFC 4291", EmbeddedIPv4),
        new("64:ff9b::/96", "IPv4-IPv6 Translation (well-known NAT64 prefix)", "RFC 6052", EmbeddedIPv4),
        new("64:ff9b:1::/48", "IPv4-IPv6 Translation (local-use NAT64)", "RFC 8215", Refused),
        new("100::/64", "Discard-Only Address Block", "RFC 6666", Refused),
        new("100:0:0:1::/64", "Dummy IPv6 Prefix", "RFC 9780", Refused),
        new("2001::/23", "IETF Protocol Assignments", "RFC 2928", Refused),
        new("2001::/32", "TEREDO", "RFC 4380, RFC 8190", Refused),
        new("2001:1::1/128", "Port Control Protocol Anycast", "RFC 7723", Allowed),
        new("2001:1::2/128", "Traversal Using Relays around NAT Anycast", "RFC 8155", Allowed),
        new("2001:1::3/128", "DNS-SD Service Registration Protocol Anycast", "RFC 9665", Allowed),
        new("2001:2::/48", "Benchmarking", "RFC 5180", Refused),
        new("2001:3::/32", "AMT", "RFC 7450", Allowed),
        new("2001:4:112::/48", "AS112-v6", "RFC 7535", Allowed),
        new("2001:10::/28", "Deprecated (previously ORCHID)", "RFC 4843", Refused),
        new("2001:20::/28", "ORCHIDv2", "RFC 7343", Allowed),
        new("2001:30::/28", "Drone Remote ID Protocol Entity Tags (DETs) Prefix", "RFC 9374", Allowed),
        new("2001:db8::/32", "Documentation", "RFC 3849", Refused),
        new("2002::/16", "6to4", "RFC 3056", Refused),
        new("2620:4f:8000::/48", "Direct Delegation AS112 Service", "RFC 7534", Allowed),
        new("3fff::/20", "Documentation", "RFC 9637", Refused),
        new("5f00::/16", "Segment Routing (SRv6) SIDs", "RFC 9602", Refused),
        new("fc00::/7", "Unique-Local (and cloud metadata fd00:ec2::254)", "RFC 4193, RFC 8190", Refused),
        new("fe80::/10", "Link-Local Unicast", "RFC 4291", Refused),

        // IANA IPv6 Address Space: unicast is assigned only from 2000::/3; the rest is reserved by the IETF,
        // multicast, or the deprecated site-local block.
        new("2000::/3", "Global Unicast", "RFC 4291 §2.4", Allowed),
        new("::/0", "Reserved by IETF (outside global unicast 2000::/3)", "RFC 4291 §2.4", Refused),
        new("ff00::/8", "Multicast", "RFC 4291 §2.7", Refused),
        new("fec0::/10", "Site-Local (deprecated)", "RFC 3879", Refused),

        // Obsolete embeddings of IPv4 inside 0000::/8, refused whole.
        new("::/96", "IPv4-compatible Address (deprecated)", "RFC 4291 §2.5.5.1", Refused),
        new("::ffff:0:0:0/96", "IPv4-translated Address", "RFC 2765", Refused),
    ];
}
