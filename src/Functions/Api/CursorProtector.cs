using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;

namespace Serverless.Functions.Api;

/// <summary>
/// Turns a position in a list (a storage continuation token, or a store's own resume point) into an
/// opaque cursor and back. A cursor is the position plus
/// an HMAC-SHA256 over it, the user id and the list it belongs to, so a client cannot forge one,
/// alter one, or use one on another user's list or on another list of its own.
/// </summary>
public sealed class CursorProtector
{
    private const int Version = 2;
    private readonly byte[] key;

    /// <summary>Creates the protector from <see cref="ApiOptions.CursorSigningKey"/>.</summary>
    /// <exception cref="InvalidOperationException">No usable key is configured outside Development.</exception>
    public CursorProtector(IOptions<ApiOptions> options, IHostEnvironment environment)
    {
        var configured = options.Value.CursorSigningKey;
        if (string.IsNullOrWhiteSpace(configured))
        {
            key = environment.IsDevelopment()
                ? RandomNumberGenerator.GetBytes(32)
                : throw new InvalidOperationException("Api:CursorSigningKey is required (base64, at least 32 bytes, the same on every instance).");
            return;
        }

        try
        {
            key = Convert.FromBase64String(configured);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException("Api:CursorSigningKey is not valid base64.");
        }

        if (key.Length < 32)
        {
            throw new InvalidOperationException("Api:CursorSigningKey must decode to at least 32 bytes.");
        }
    }

    /// <summary>The cursor for <paramref name="position"/> on list <paramref name="scope"/> of <paramref name="userId"/>; null when there is no next page.</summary>
    public string? Protect(string userId, string scope, string? position)
    {
        if (position is null)
        {
            return null;
        }

        var payload = JsonSerializer.SerializeToUtf8Bytes(new CursorPayload(Version, position));
        return WebEncoders.Base64UrlEncode(payload) + "." + WebEncoders.Base64UrlEncode(Mac(userId, scope, payload));
    }

    /// <summary>Reads a cursor back; false when it is malformed, altered, or minted for another user or list.</summary>
    public bool TryUnprotect(string userId, string scope, string cursor, out string? position)
    {
        position = null;
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || cursor.Length > 4096)
        {
            return false;
        }

        try
        {
            var payload = WebEncoders.Base64UrlDecode(cursor[..dot]);
            var mac = WebEncoders.Base64UrlDecode(cursor[(dot + 1)..]);
            if (!CryptographicOperations.FixedTimeEquals(mac, Mac(userId, scope, payload)))
            {
                return false;
            }

            var parsed = JsonSerializer.Deserialize<CursorPayload>(payload);
            if (parsed is null || parsed.V != Version || string.IsNullOrEmpty(parsed.P))
            {
                return false;
            }

            position = parsed.P;
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return false;
        }
    }

    private byte[] Mac(string userId, string scope, byte[] payload)
    {
        var context = Encoding.UTF8.GetBytes($"{userId.Length}:{userId}\n{scope.Length}:{scope}\n");
        byte[] message = [.. context, .. payload];
        return HMACSHA256.HashData(key, message);
    }

    private sealed record CursorPayload(int V, string P);
}
