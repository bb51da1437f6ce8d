using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/integration.ndjson</c>: one integration, as <c>GET /api/v1/integrations/{provider}</c> shows it,
/// with its secrets only when someone gave the key for them: sealed under the user's passphrase
/// (<see cref="SecretSealing"/>; the server's exports), or as plain values (the command-line importers, after
/// decrypting an app's store with the user's key). Without a key, secrets are absent.
/// </summary>
/// <param name="Provider">The provider (the integration's id).</param>
/// <param name="Config">The configuration document (a JSON object; absent: <c>{}</c>).</param>
/// <param name="Secrets">The secrets by name.</param>
/// <param name="CreatedAt">Created (absent: the import's time, or the stored integration's).</param>
/// <param name="UpdatedAt">Last changed (absent: <paramref name="CreatedAt"/>).</param>
public sealed record IntegrationLine(
    string Provider,
    JsonElement? Config = null,
    IReadOnlyDictionary<string, IntegrationSecretLine>? Secrets = null,
    DateTimeOffset? CreatedAt = null,
    DateTimeOffset? UpdatedAt = null);

/// <summary>
/// One secret of an <see cref="IntegrationLine"/>: a JSON string is the plain value; an object
/// <c>{"sealed": "…", "setAt": "…"}</c> is the value sealed under a passphrase (<see cref="SecretSealing"/>) and
/// when it was set.
/// </summary>
/// <param name="Value">The plain value, or null when sealed.</param>
/// <param name="Sealed">The sealed value, or null when plain.</param>
/// <param name="SetAt">When the value was set (sealed form only; a plain value counts as set when imported).</param>
[JsonConverter(typeof(IntegrationSecretLineConverter))]
public sealed record IntegrationSecretLine(string? Value, string? Sealed, DateTimeOffset? SetAt);

/// <summary>Reads and writes <see cref="IntegrationSecretLine"/> as a string (plain) or an object (sealed), strictly.</summary>
public sealed class IntegrationSecretLineConverter : JsonConverter<IntegrationSecretLine>
{
    /// <inheritdoc />
    public override IntegrationSecretLine Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return new IntegrationSecretLine(reader.GetString(), null, null);
        }

        var form = JsonSerializer.Deserialize<SealedForm>(ref reader, options) ?? throw new JsonException("A secret is a string or {\"sealed\", \"setAt\"}.");
        return new IntegrationSecretLine(null, form.Sealed, form.SetAt);
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IntegrationSecretLine value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        if (value.Value is { } plain)
        {
            writer.WriteStringValue(plain);
            return;
        }

        JsonSerializer.Serialize(writer, new SealedForm(value.Sealed ?? throw new JsonException("A secret has a value or a sealed value."), value.SetAt), options);
    }

    /// <summary>The object form.</summary>
    /// <param name="Sealed">The sealed value.</param>
    /// <param name="SetAt">When it was set.</param>
    private sealed record SealedForm(string Sealed, DateTimeOffset? SetAt = null);
}
