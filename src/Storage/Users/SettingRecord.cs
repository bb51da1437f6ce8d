using Azure;

namespace Serverless.Storage.Users;

/// <summary>One stored setting: a JSON value under a namespace and key.</summary>
/// <param name="Namespace">The namespace, e.g. <c>ui</c>.</param>
/// <param name="Key">The key within the namespace.</param>
/// <param name="ValueJson">The value as JSON text.</param>
/// <param name="UpdatedAt">When it was last written (UTC).</param>
/// <param name="ETag">The row's version, for <c>If-Match</c>.</param>
public sealed record SettingRecord(string Namespace, string Key, string ValueJson, DateTimeOffset UpdatedAt, ETag ETag);
