using System.Net;
using System.Net.Sockets;

namespace Serverless.Functions.Missions;

/// <summary>Thrown by the connect callback when a webhook target resolves to a refused address.</summary>
public sealed class BlockedAddressException(string message) : Exception(message);

/// <summary>
/// The socket-level SSRF guard: resolves the host itself, refuses if any address is not public unicast,
/// then connects to one of the checked addresses. The HTTP stack never resolves the name again, so a DNS
/// answer that changes between check and connect (rebinding) cannot slip past.
/// </summary>
public static class SsrfGuard
{
    /// <summary>A handler for webhook deliveries: guarded connects, no redirects, no proxy, no cookies.</summary>
    public static SocketsHttpHandler CreateHandler(MissionOptions options) => new()
    {
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        ConnectTimeout = options.DeliveryTimeout,
        ConnectCallback = (context, cancellationToken) => ConnectAsync(context.DnsEndPoint, options, cancellationToken),
    };

    /// <summary>Resolves, checks and connects.</summary>
    /// <exception cref="BlockedAddressException">The host resolves to a refused address.</exception>
    public static async ValueTask<Stream> ConnectAsync(DnsEndPoint endPoint, MissionOptions options, CancellationToken cancellationToken)
    {
        var allowListed = MissionValidator.IsAllowListed(endPoint.Host, endPoint.Port, options);
        var addresses = IPAddress.TryParse(endPoint.Host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(endPoint.Host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new BlockedAddressException($"'{endPoint.Host}' did not resolve.");
        }

        if (!allowListed)
        {
            foreach (var address in addresses)
            {
                if (AddressClassifier.IsBlocked(address, out var reason) && !(options.AllowLoopbackTargets && IPAddress.IsLoopback(address)))
                {
                    // Refuse on any bad answer, not just the first: otherwise a record set with one public and one
                    // private address could be steered to the private one by connect order.
                    throw new BlockedAddressException($"Refused to connect to {address}: {reason}.");
                }
            }
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endPoint.Port), cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        throw last ?? new SocketException((int)SocketError.HostUnreachable);
    }
}
