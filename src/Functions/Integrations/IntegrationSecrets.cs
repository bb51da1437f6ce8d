using System.Security.Cryptography;
using System.Text;
using Azure;
using Serverless.Functions.Secrets;
using Serverless.Storage.Integrations;
using Serverless.Storage.Users;

namespace Serverless.Functions.Integrations;

/// <summary>A secret reference that cannot be resolved at delivery; its message names the reference and the way out, never a value.</summary>
public sealed class SecretReferenceException(string message) : Exception(message);

/// <summary>A mission's headers with their secret references resolved, and the values put in (to take out of what comes back).</summary>
/// <param name="Headers">The headers to send.</param>
/// <param name="Secrets">The secret values the headers now hold.</param>
public sealed record ResolvedHeaders(IReadOnlyDictionary<string, string> Headers, IReadOnlyList<string> Secrets);

/// <summary>
/// Integration secrets through the app's one keyring (<see cref="SecretProtector"/>): each is encrypted bound to its user,
/// integration and name, shown only as a mask, re-encrypted with the active key whenever it is read under an older one
/// (rotation without downtime), and revealed only to resolve a mission's header references at delivery.
/// </summary>
public sealed class IntegrationSecrets(IntegrationStore store, SecretProtector protector, TimeProvider time)
{
    /// <summary>The longest secret value, in characters.</summary>
    public const int MaxValueChars = 4096;

    /// <summary>Secrets shorter than this show no last characters: four of them would give too much away.</summary>
    public const int MinCharsToShowLast4 = 12;

    /// <summary>Encrypts a new value of secret <paramref name="name"/> of <paramref name="provider"/>.</summary>
    public StoredSecret Protect(UserPartition user, string provider, string name, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new StoredSecret(
            protector.Protect(Encoding.UTF8.GetBytes(value), Aad(user, provider, name)),
            value.Length >= MinCharsToShowLast4 ? value[^4..] : null,
            time.GetUtcNow());
    }

    /// <summary>A stored secret's value, or null when it no longer decrypts (its key is gone). For export under the user's passphrase only.</summary>
    public string? Reveal(UserPartition user, string provider, string name, StoredSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return IsUsable(user, provider, name, secret) ? Encoding.UTF8.GetString(protector.Unprotect(secret.Cipher, Aad(user, provider, name))) : null;
    }

    /// <summary>Whether a stored secret decrypts with the configured keys (false: its key is gone; it must be set again).</summary>
    public bool IsUsable(UserPartition user, string provider, string name, StoredSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        return protector.CanUnprotect(secret.Cipher, Aad(user, provider, name));
    }

    /// <summary>
    /// Re-encrypts with the active key every secret of <paramref name="record"/> encrypted under an older one that still
    /// decrypts, and writes that under the row's ETag. Best effort: a lost race or an unreadable secret leaves the row as it is.
    /// </summary>
    /// <returns>The record as stored now.</returns>
    public async Task<IntegrationRecord> RewrapAsync(UserPartition user, IntegrationRecord record, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(record);
        var rewrapped = Rewrapped(user, record);
        if (rewrapped is null)
        {
            return record;
        }

        try
        {
            return await store.PutAsync(user, record with { Secrets = rewrapped }, record.ETag, createOnly: false, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            return record;
        }
    }

    /// <summary>The secrets of <paramref name="record"/> with stale ciphers re-encrypted with the active key, or null when none needs it.</summary>
    public IReadOnlyDictionary<string, StoredSecret>? Rewrapped(UserPartition user, IntegrationRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var stale = record.Secrets.Where(s => !protector.IsCurrent(s.Value.Cipher) && IsUsable(user, record.Provider, s.Key, s.Value)).ToList();
        if (stale.Count == 0)
        {
            return null;
        }

        var secrets = new Dictionary<string, StoredSecret>(record.Secrets, StringComparer.Ordinal);
        foreach (var (name, secret) in stale)
        {
            var aad = Aad(user, record.Provider, name);
            secrets[name] = secret with { Cipher = protector.Protect(protector.Unprotect(secret.Cipher, aad), aad) };
        }

        return secrets;
    }

    /// <summary>The first reference in <paramref name="headers"/> to a secret that is not set, described for a 400; null when all are set.</summary>
    public async Task<string?> FindUnsetAsync(UserPartition user, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken)
    {
        var records = new Dictionary<string, IntegrationRecord?>(StringComparer.Ordinal);
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            foreach (var reference in SecretReferences.In(value))
            {
                if (!records.TryGetValue(reference.Provider, out var record))
                {
                    records[reference.Provider] = record = await store.GetAsync(user, reference.Provider, cancellationToken);
                }

                if (record?.Secrets.ContainsKey(reference.Name) != true)
                {
                    return $"Header '{name}' references {reference}, which is not set: PUT /api/v1/integrations/{reference.Provider} with secrets.{reference.Name} first.";
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Resolves the secret references in a mission's headers, at delivery: each integration is read once (and its stale
    /// ciphers re-encrypted), each value decrypted in memory. The values never leave this call but in the headers sent.
    /// </summary>
    /// <exception cref="SecretReferenceException">A referenced secret is not set, cannot be decrypted, or cannot go in a header.</exception>
    public async Task<ResolvedHeaders> ResolveAsync(string userKey, IReadOnlyDictionary<string, string> headers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(headers);
        if (!headers.Values.Any(v => SecretReferences.In(v).Any()))
        {
            return new ResolvedHeaders(headers, []);
        }

        var user = UserPartition.FromKey(userKey);
        var records = new Dictionary<string, IntegrationRecord?>(StringComparer.Ordinal);
        var values = new List<string>();
        var resolved = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in headers)
        {
            foreach (var reference in SecretReferences.In(value).Where(r => !records.ContainsKey(r.Provider)).ToList())
            {
                var record = await store.GetAsync(user, reference.Provider, cancellationToken);
                records[reference.Provider] = record is null ? null : await RewrapAsync(user, record, cancellationToken);
            }

            resolved[name] = SecretReferences.Replace(value, reference => Reveal(user, name, reference, records[reference.Provider], values));
            if (resolved[name].Any(c => c is < '\x20' or > '\x7E'))
            {
                throw new SecretReferenceException($"Header '{name}' references a secret whose value is not printable ASCII, so it cannot be sent in a header.");
            }
        }

        return new ResolvedHeaders(resolved, values);
    }

    private string Reveal(UserPartition user, string header, SecretReference reference, IntegrationRecord? record, List<string> values)
    {
        if (record?.Secrets.GetValueOrDefault(reference.Name) is not { } secret)
        {
            throw new SecretReferenceException(
                $"Header '{header}' references {reference}, which is not set: PUT /api/v1/integrations/{reference.Provider} with secrets.{reference.Name}.");
        }

        try
        {
            var value = Encoding.UTF8.GetString(protector.Unprotect(secret.Cipher, Aad(user, reference.Provider, reference.Name)));
            values.Add(value);
            return value;
        }
        catch (CryptographicException e)
        {
            throw new SecretReferenceException(
                $"Header '{header}' references {reference}, which cannot be decrypted: {e.Message}. Set it again: PUT /api/v1/integrations/{reference.Provider}.");
        }
    }

    private static string Aad(UserPartition user, string provider, string name) => $"integration-secret|{user.Key}|{provider}|{name}";
}
