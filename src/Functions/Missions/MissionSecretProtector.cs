using Microsoft.Extensions.Options;
using Serverless.Functions.Secrets;

namespace Serverless.Functions.Missions;

/// <summary>
/// The app's <see cref="SecretProtector"/> as missions use it: a signing secret is bound to its mission (the user and
/// mission id are the associated data), so a cipher copied to another mission does not decrypt. Registered once; the
/// same instance is the <see cref="SecretProtector"/> of integrations.
/// </summary>
public sealed class MissionSecretProtector(IOptions<MissionOptions> options, IHostEnvironment environment, string? developmentSigningKey = null)
    : SecretProtector(options.Value.SecretKeys, options.Value.ActiveSecretKeyId, environment, developmentSigningKey)
{
    /// <summary>Whether <paramref name="stored"/> decrypts with the configured keys.</summary>
    public bool CanUnprotect(string stored, string userKey, string missionId) => CanUnprotect(stored, Aad(userKey, missionId));

    /// <summary>Encrypts <paramref name="secret"/> for mission <paramref name="missionId"/> of <paramref name="userKey"/>.</summary>
    public string Protect(byte[] secret, string userKey, string missionId) => Protect(secret, Aad(userKey, missionId));

    /// <summary>Decrypts a stored secret.</summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">Unknown key id, or the cipher was altered or belongs to another mission; the message says which.</exception>
    public byte[] Unprotect(string stored, string userKey, string missionId) => Unprotect(stored, Aad(userKey, missionId));

    private static string Aad(string userKey, string missionId) => $"mission-secret|{userKey}|{missionId}";
}
