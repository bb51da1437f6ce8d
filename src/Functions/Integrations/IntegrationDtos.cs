using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using Serverless.Functions.Api;
using Serverless.Storage.Integrations;
using Serverless.Storage.Users;

namespace Serverless.Functions.Integrations;

/// <summary>
/// The body of <c>PUT /api/v1/integrations/{provider}</c>: a new configuration document (absent: the current one is kept),
/// and secrets to set (name → value) or remove (name → null); secrets not named are kept. Secrets are write-only.
/// </summary>
/// <param name="Config">The configuration, a JSON object of at most 32 KiB (no secrets in it: it is returned as is).</param>
/// <param name="Secrets">Secrets to set (1 to 4,096 characters) or remove (null), by name (1 to 64 of A-Z a-z 0-9 . _ -).</param>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record IntegrationWrite(JsonElement Config, Dictionary<string, string?>? Secrets) : IBindableFromHttpContext<IntegrationWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<IntegrationWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<IntegrationWrite>(context.Request, context.RequestAborted);
}

/// <summary>An integration as the API returns it: the configuration, and its secrets masked.</summary>
/// <param name="Provider">The integration's name.</param>
/// <param name="Config">The configuration document.</param>
/// <param name="Secrets">The secrets, by name, never their values.</param>
/// <param name="CreatedAt">When it was first written (UTC).</param>
/// <param name="UpdatedAt">When it last changed (UTC).</param>
public sealed record IntegrationView(string Provider, JsonElement Config, IReadOnlyList<SecretView> Secrets, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    /// <summary>Maps a stored record to its API view.</summary>
    public static IntegrationView From(IntegrationRecord record, UserPartition user, IntegrationSecrets secrets)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(secrets);
        using var config = JsonDocument.Parse(record.ConfigJson);
        return new IntegrationView(
            record.Provider,
            config.RootElement.Clone(),
            record.Secrets.OrderBy(s => s.Key, StringComparer.Ordinal)
                .Select(s => new SecretView(s.Key, "****" + (s.Value.Last4 ?? "****"), s.Value.Last4, s.Value.SetAt, secrets.IsUsable(user, record.Provider, s.Key, s.Value)))
                .ToList(),
            record.CreatedAt,
            record.UpdatedAt);
    }
}

/// <summary>A secret as the API shows it: never its value.</summary>
/// <param name="Name">Its name.</param>
/// <param name="Mask">Asterisks and, for values of 12 characters or more, the last four: <c>****a1b2</c> (else <c>********</c>).</param>
/// <param name="Last4">The value's last four characters (values of 12 characters or more), else null.</param>
/// <param name="SetAt">When the value was set (UTC).</param>
/// <param name="Usable">False when it no longer decrypts (its encryption key was removed from configuration): set it again.</param>
public sealed record SecretView(string Name, string Mask, string? Last4, DateTimeOffset SetAt, bool Usable);
