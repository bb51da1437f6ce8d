using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>
/// A line of <c>kinds/record.ndjson</c>: one record of a collection, as <c>GET /api/v1/records/{collection}/{id}</c>
/// shows it. A parent's line comes before its children's. Members other than <paramref name="Collection"/> and
/// <paramref name="Id"/> may be absent (the command-line importers leave out what an app does not have).
/// </summary>
/// <param name="Collection">The collection.</param>
/// <param name="Id">The record id within the collection.</param>
/// <param name="Data">The document (a JSON object), inline; absent with <paramref name="DataFile"/>, or for <c>{}</c>.</param>
/// <param name="DataFile">The blob file holding the document's JSON text (UTF-8), instead of <paramref name="Data"/>.</param>
/// <param name="Status">The indexed status.</param>
/// <param name="ParentId">The parent record in the same collection (earlier in the file, or already stored).</param>
/// <param name="Counters">Counters, name → integer.</param>
/// <param name="CreatedAt">Created (absent: the import's time, or the stored record's).</param>
/// <param name="UpdatedAt">Last changed (absent: <paramref name="CreatedAt"/>).</param>
/// <param name="ExpiresAt">When it expires.</param>
public sealed record RecordLine(
    string Collection,
    string Id,
    JsonElement? Data = null,
    string? DataFile = null,
    string? Status = null,
    string? ParentId = null,
    IReadOnlyDictionary<string, long>? Counters = null,
    DateTimeOffset? CreatedAt = null,
    DateTimeOffset? UpdatedAt = null,
    DateTimeOffset? ExpiresAt = null);
