using Azure;

namespace Serverless.Storage.Integrations;

/// <summary>One integration's stored configuration: a JSON document and named secrets, encrypted by the caller.</summary>
/// <param name="Provider">The provider's name, e.g. <c>github</c>.</param>
/// <param name="ConfigJson">The configuration document, JSON.</param>
/// <param name="Secrets">The secrets by name.</param>
/// <param name="CreatedAt">When it was first written.</param>
/// <param name="UpdatedAt">When it last changed.</param>
/// <param name="ETag">The row's version, for <c>If-Match</c>.</param>
public sealed record IntegrationRecord(
    string Provider, string ConfigJson, IReadOnlyDictionary<string, StoredSecret> Secrets, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, ETag ETag = default);

/// <summary>A secret as stored: never its value, only a cipher this layer cannot read.</summary>
/// <param name="Cipher">The encrypted value, <c>{keyId}:{base64}</c>, opaque here.</param>
/// <param name="Last4">The value's last four characters, kept for display when the value is long enough to spare them; else null.</param>
/// <param name="SetAt">When the value was set.</param>
public sealed record StoredSecret(string Cipher, string? Last4, DateTimeOffset SetAt);
