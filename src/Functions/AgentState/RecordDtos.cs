using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Records;

namespace Serverless.Functions.AgentState;

/// <summary>The body of <c>POST /api/v1/records/{collection}</c>.</summary>
/// <param name="Id">The record id (1-64 of A-Z a-z 0-9 _ -); generated when absent.</param>
/// <param name="Data">The document, a JSON object (default <c>{}</c>).</param>
/// <param name="Status">The indexed status (1 to 64 of A-Z a-z 0-9 _ . : -).</param>
/// <param name="ParentId">The parent record in the same collection.</param>
/// <param name="Counters">Starting counters, name → integer.</param>
/// <param name="ExpiresAt">When it expires (then it is gone from reads and lists, and retention deletes it).</param>
public sealed record RecordCreate(string? Id, JsonElement? Data, string? Status, string? ParentId, IReadOnlyDictionary<string, long>? Counters, DateTimeOffset? ExpiresAt)
    : IBindableFromHttpContext<RecordCreate>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<RecordCreate?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<RecordCreate>(context.Request, context.RequestAborted);
}

/// <summary>The body of <c>PUT /api/v1/records/{collection}/{id}</c>: the whole record (counters absent: kept as they are).</summary>
/// <param name="Data">The document, a JSON object.</param>
/// <param name="Status">The indexed status, or none.</param>
/// <param name="ParentId">The parent, or none.</param>
/// <param name="Counters">The counters, name → integer; absent keeps them.</param>
/// <param name="ExpiresAt">When it expires, or never.</param>
public sealed record RecordPut(JsonElement? Data, string? Status, string? ParentId, IReadOnlyDictionary<string, long>? Counters, DateTimeOffset? ExpiresAt)
    : IBindableFromHttpContext<RecordPut>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<RecordPut?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<RecordPut>(context.Request, context.RequestAborted);
}

/// <summary>
/// The body of <c>PATCH /api/v1/records/{collection}/{id}</c>: a JSON object with any of <c>data</c> (a JSON merge patch,
/// RFC 7396, applied to the document), <c>status</c>, <c>parentId</c>, <c>expiresAt</c> (each a value, or null to clear)
/// and <c>counters</c> (name → integer, set). Kept as JSON, since "absent" and "null" mean different things.
/// </summary>
/// <param name="Fields">The body as sent.</param>
public sealed record RecordPatch(JsonElement Fields) : IBindableFromHttpContext<RecordPatch>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; the function calls <see cref="ReadAsync"/>).</summary>
    public static async ValueTask<RecordPatch?> BindAsync(HttpContext context, ParameterInfo parameter) => await ReadAsync(context.Request, context.RequestAborted);

    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async Task<RecordPatch> ReadAsync(HttpRequest request, CancellationToken cancellationToken) => new(await JsonBody.ReadAsync<JsonElement>(request, cancellationToken));
}

/// <summary>The body of <c>POST /api/v1/records/{collection}/{id}/increment</c>.</summary>
/// <param name="Counter">The counter's name (a letter, then up to 63 of A-Z a-z 0-9 _).</param>
/// <param name="By">How much to add (default 1; negative subtracts).</param>
public sealed record CounterIncrement(string? Counter, long? By) : IBindableFromHttpContext<CounterIncrement>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async ValueTask<CounterIncrement?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<CounterIncrement>(context.Request, context.RequestAborted);
}

/// <summary>A record as the API returns it.</summary>
/// <param name="Collection">Its collection.</param>
/// <param name="Id">Its id.</param>
/// <param name="Data">The document.</param>
/// <param name="Status">Its status, or null.</param>
/// <param name="ParentId">Its parent, or null.</param>
/// <param name="Counters">Its counters.</param>
/// <param name="CreatedAt">Created (UTC).</param>
/// <param name="UpdatedAt">Last changed (UTC).</param>
/// <param name="ExpiresAt">When it expires, or null.</param>
public sealed record RecordView(
    string Collection, string Id, JsonElement Data, string? Status, string? ParentId, IReadOnlyDictionary<string, long> Counters, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? ExpiresAt)
{
    /// <summary>Maps a stored record.</summary>
    public static RecordView From(RecordItem r) =>
        new(r.Collection, r.Id, AgentValidation.Element(r.DataJson)!.Value, r.Status, r.ParentId, r.Counters, r.CreatedAt, r.UpdatedAt, r.ExpiresAt);
}

/// <summary>A cascading delete that has more to do: send the same DELETE again.</summary>
/// <param name="Deleted">Records deleted by this request.</param>
/// <param name="Complete">Whether the record itself is gone (always false here).</param>
public sealed record RecordDeleteProgress(int Deleted, bool Complete);

/// <summary>One collection.</summary>
/// <param name="Collection">Its name.</param>
/// <param name="Records">Records in it.</param>
/// <param name="Bytes">Their documents' bytes.</param>
public sealed record CollectionView(string Collection, long Records, long Bytes);

/// <summary>The user's collections and the quotas.</summary>
/// <param name="Data">The collections, by name.</param>
/// <param name="MaxRecordsPerCollection">Records one collection may hold.</param>
/// <param name="MaxCollections">Collections a user may have.</param>
/// <param name="MaxBytes">Document bytes a user may store.</param>
public sealed record CollectionsView(IReadOnlyList<CollectionView> Data, long MaxRecordsPerCollection, long MaxCollections, long MaxBytes);
