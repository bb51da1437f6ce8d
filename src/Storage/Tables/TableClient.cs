using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Serverless.Storage.Http;

namespace Serverless.Storage.Tables;

/// <summary>
/// One table of the Table service over Azure.Core's pipeline: point reads and writes with ETags,
/// paged queries, and entity group transactions. The only code that knows table URLs and headers.
/// </summary>
/// <remarks>
/// Writes retried by the pipeline after a lost response can meet their own first attempt (409 on
/// insert, 412 on a conditional update). Each write then reads the entity back and reports success
/// when what is stored is what it wrote; only a real conflict surfaces as <see cref="StorageException"/>.
/// </remarks>
public sealed partial class TableClient
{
    private readonly HttpPipeline pipeline;
    private readonly string serviceUrl;
    private readonly string tableUrl;

    /// <summary>Creates a client for table <paramref name="tableName"/> of the account in <paramref name="connection"/>.</summary>
    /// <exception cref="ArgumentException">The table name is not 3–63 letters and digits starting with a letter.</exception>
    public TableClient(StorageConnection connection, string tableName, StorageClientOptions? options = null)
        : this(StoragePipeline.Create(connection, options ?? new StorageClientOptions(), StoragePipeline.Service.Table), connection.TableEndpoint, tableName)
    {
    }

    internal TableClient(HttpPipeline pipeline, Uri endpoint, string tableName)
    {
        if (!TableName().IsMatch(tableName))
        {
            throw new ArgumentException($"'{tableName}' is not a valid table name: use 3 to 63 letters and digits, starting with a letter.", nameof(tableName));
        }

        this.pipeline = pipeline;
        serviceUrl = endpoint.AbsoluteUri;
        tableUrl = serviceUrl + tableName;
        Name = tableName;
    }

    /// <summary>The table's name.</summary>
    public string Name { get; }

    /// <summary>Creates the table unless it exists.</summary>
    public async Task CreateIfNotExistsAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Post, serviceUrl + "Tables");
        SetJson(message, Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, string> { ["TableName"] = Name })));
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        await pipeline.SendStorageRequestAsync(message, $"Create table {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status is not (201 or 204 or 409))
        {
            throw StorageErrors.FromResponse(message, $"Create table {Name}");
        }
    }

    /// <summary>Deletes the table and everything in it; a missing table is not an error.</summary>
    public async Task DeleteTableAsync(CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, serviceUrl + "Tables('" + Name + "')");
        await pipeline.SendStorageRequestAsync(message, $"Delete table {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status is not (204 or 404))
        {
            throw StorageErrors.FromResponse(message, $"Delete table {Name}");
        }
    }

    /// <summary>Reads one entity, or <c>null</c> when it does not exist.</summary>
    /// <param name="partitionKey">The encoded partition key.</param>
    /// <param name="rowKey">The encoded row key.</param>
    /// <param name="select">Properties to return (all when null); keys always come back.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    public async Task<TableEntity?> GetAsync(string partitionKey, string rowKey, IReadOnlyCollection<string>? select = null, CancellationToken cancellationToken = default)
    {
        var url = EntityUrl(partitionKey, rowKey);
        if (select is { Count: > 0 })
        {
            url += "?$select=" + Uri.EscapeDataString(SelectList(select));
        }

        using var message = CreateMessage(RequestMethod.Get, url);
        await pipeline.SendStorageRequestAsync(message, $"Get entity from {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status == 404)
        {
            return null;
        }

        if (message.Response.Status != 200)
        {
            throw StorageErrors.FromResponse(message, $"Get entity from {Name}");
        }

        using var document = JsonDocument.Parse(message.Response.Content.ToMemory());
        var entity = EntityCodec.Read(document.RootElement);
        if (message.Response.Headers.ETag is { } etag)
        {
            entity.ETag = etag;
        }

        return entity;
    }

    /// <summary>Inserts an entity that must not exist yet.</summary>
    /// <returns>The new ETag.</returns>
    /// <exception cref="StorageException">409 when the entity exists (and is not this very write, replayed).</exception>
    public async Task<ETag> InsertAsync(TableEntity entity, CancellationToken cancellationToken = default)
    {
        EntityLimits.Check(entity, $"Insert into {Name}");
        using var message = CreateMessage(RequestMethod.Post, tableUrl);
        SetJson(message, EntityCodec.Serialize(entity));
        message.Request.Headers.SetValue("Prefer", "return-no-content");
        await pipeline.SendStorageRequestAsync(message, $"Insert into {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status is 201 or 204)
        {
            return ResponseETag(message);
        }

        if (message.Response.Status == 409 && StorageErrors.WasRetried(message)
            && await FindOwnWriteAsync(entity, exact: true, cancellationToken).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        throw StorageErrors.FromResponse(message, $"Insert into {Name}");
    }

    /// <summary>Replaces an existing entity whose ETag matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any).</summary>
    /// <exception cref="StorageException">404 when missing, 412 when the ETag is stale.</exception>
    public Task<ETag> ReplaceAsync(TableEntity entity, ETag ifMatch, CancellationToken cancellationToken = default) =>
        UpdateAsync(RequestMethod.Put, entity, ifMatch, exact: true, cancellationToken);

    /// <summary>Merges properties into an existing entity whose ETag matches <paramref name="ifMatch"/>.</summary>
    /// <exception cref="StorageException">404 when missing, 412 when the ETag is stale.</exception>
    public Task<ETag> MergeAsync(TableEntity entity, ETag ifMatch, CancellationToken cancellationToken = default) =>
        UpdateAsync(Merge, entity, ifMatch, exact: false, cancellationToken);

    /// <summary>Inserts the entity, or replaces or merges it if it exists. Unconditional, hence idempotent.</summary>
    public async Task<ETag> UpsertAsync(TableEntity entity, TableUpdateMode mode, CancellationToken cancellationToken = default)
    {
        EntityLimits.Check(entity, $"Upsert into {Name}");
        using var message = CreateMessage(mode == TableUpdateMode.Replace ? RequestMethod.Put : Merge, EntityUrl(entity.PartitionKey, entity.RowKey));
        SetJson(message, EntityCodec.Serialize(entity));
        await pipeline.SendStorageRequestAsync(message, $"Upsert into {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 204)
        {
            throw StorageErrors.FromResponse(message, $"Upsert into {Name}");
        }

        return ResponseETag(message);
    }

    /// <summary>Deletes an entity whose ETag matches <paramref name="ifMatch"/> (<see cref="ETag.All"/> for any).</summary>
    /// <returns><c>true</c> if this call deleted it, <c>false</c> if it did not exist.</returns>
    /// <exception cref="StorageException">412 when the ETag is stale.</exception>
    public async Task<bool> DeleteAsync(string partitionKey, string rowKey, ETag ifMatch, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Delete, EntityUrl(partitionKey, rowKey));
        message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, ifMatch.ToString());
        await pipeline.SendStorageRequestAsync(message, $"Delete from {Name}", cancellationToken).ConfigureAwait(false);
        return message.Response.Status switch
        {
            204 => true,

            // A retried delete that finds nothing: the lost first attempt is what removed it.
            404 => StorageErrors.WasRetried(message),
            _ => throw StorageErrors.FromResponse(message, $"Delete from {Name}"),
        };
    }

    /// <summary>
    /// Runs a query and yields its pages, following continuation headers (a page may be empty and
    /// still have a continuation) until the service has no more.
    /// </summary>
    /// <param name="filter">An expression built with <see cref="ODataFilter"/>, or null for every row.</param>
    /// <param name="select">Properties to return (all when null); keys always come back.</param>
    /// <param name="top">Entities per page, 1 to 1,000 (the service's maximum when null).</param>
    /// <param name="continuation">Where to start, from an earlier page.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    public async IAsyncEnumerable<TablePage> QueryAsync(
        string? filter = null,
        IReadOnlyCollection<string>? select = null,
        int? top = null,
        TableContinuation? continuation = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (top is < 1 or > 1000)
        {
            throw new ArgumentOutOfRangeException(nameof(top), top, "A page holds 1 to 1,000 entities.");
        }

        var query = new List<string>();
        if (!string.IsNullOrEmpty(filter))
        {
            query.Add("$filter=" + Uri.EscapeDataString(filter));
        }

        if (select is { Count: > 0 })
        {
            query.Add("$select=" + Uri.EscapeDataString(SelectList(select)));
        }

        if (top is { } t)
        {
            query.Add("$top=" + t.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        var next = continuation;
        do
        {
            var parameters = new List<string>(query);
            if (next is not null)
            {
                parameters.Add("NextPartitionKey=" + Uri.EscapeDataString(next.NextPartitionKey));
                if (next.NextRowKey is not null)
                {
                    parameters.Add("NextRowKey=" + Uri.EscapeDataString(next.NextRowKey));
                }
            }

            var url = tableUrl + "()" + (parameters.Count > 0 ? "?" + string.Join('&', parameters) : string.Empty);
            using var message = CreateMessage(RequestMethod.Get, url);
            await pipeline.SendStorageRequestAsync(message, $"Query {Name}", cancellationToken).ConfigureAwait(false);
            if (message.Response.Status != 200)
            {
                throw StorageErrors.FromResponse(message, $"Query {Name}");
            }

            var entities = new List<TableEntity>();
            using (var document = JsonDocument.Parse(message.Response.Content.ToMemory()))
            {
                foreach (var element in document.RootElement.GetProperty("value").EnumerateArray())
                {
                    entities.Add(EntityCodec.Read(element));
                }
            }

            var headers = message.Response.Headers;
            next = headers.TryGetValue("x-ms-continuation-NextPartitionKey", out var npk) && !string.IsNullOrEmpty(npk)
                ? new TableContinuation(npk, headers.TryGetValue("x-ms-continuation-NextRowKey", out var nrk) && !string.IsNullOrEmpty(nrk) ? nrk : null)
                : null;
            yield return new TablePage(entities, next);
        }
        while (next is not null);
    }

    /// <summary>
    /// Reads up to <paramref name="limit"/> entities from <paramref name="continuation"/> on, asking
    /// for more while the service returns short or empty pages, and returns where the next read
    /// starts. This is the building block of user-facing cursors: a page is never over-full.
    /// </summary>
    public async Task<TablePage> QueryPageAsync(
        string? filter, int limit, TableContinuation? continuation = null, IReadOnlyCollection<string>? select = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var entities = new List<TableEntity>(limit);
        var next = continuation;
        do
        {
            TablePage? page = null;
            await foreach (var first in QueryAsync(filter, select, limit - entities.Count, next, cancellationToken).ConfigureAwait(false))
            {
                page = first;
                break;
            }

            entities.AddRange(page!.Entities);
            next = page.Continuation;
        }
        while (entities.Count < limit && next is not null);

        return new TablePage(entities, next);
    }

    /// <summary>Reads every entity a query matches, across pages.</summary>
    public async Task<List<TableEntity>> QueryAllAsync(string? filter = null, IReadOnlyCollection<string>? select = null, CancellationToken cancellationToken = default)
    {
        var all = new List<TableEntity>();
        await foreach (var page in QueryAsync(filter, select, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            all.AddRange(page.Entities);
        }

        return all;
    }

    /// <summary>
    /// Runs an entity group transaction: up to 100 operations on distinct rows of one partition,
    /// all applied or none.
    /// </summary>
    /// <returns>For each operation in order, the entity's new ETag (null for deletes).</returns>
    /// <exception cref="ArgumentException">The batch is empty, too large, spans partitions or names a row twice.</exception>
    /// <exception cref="StorageException">The service rejected it; <see cref="StorageException.FailedOperationIndex"/> names the operation.</exception>
    public async Task<IReadOnlyList<ETag?>> SubmitTransactionAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken = default)
    {
        ValidateTransaction(actions);
        var (body, contentType) = TableBatchCodec.Write(actions, tableUrl, EntityUrl);
        if (body.Length >= EntityLimits.MaxTransactionBytes)
        {
            throw StorageErrors.Create(413, "RequestBodyTooLarge", $"the transaction is {body.Length} bytes; it must be under {EntityLimits.MaxTransactionBytes}", $"Transaction on {Name}", wasRetried: false);
        }
        using var message = CreateMessage(RequestMethod.Post, serviceUrl + "$batch");
        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, contentType);
        message.Request.Content = RequestContent.Create(body);
        await pipeline.SendStorageRequestAsync(message, $"Transaction on {Name}", cancellationToken).ConfigureAwait(false);
        if (message.Response.Status != 202)
        {
            throw StorageErrors.FromResponse(message, $"Transaction on {Name}");
        }

        var responses = TableBatchCodec.Parse(message.Response.Content.ToString());
        var failure = responses.FirstOrDefault(r => r.Status >= 300);
        if (failure is null && responses.Count == actions.Count)
        {
            return responses.Select(r => r.ETag).ToArray();
        }

        if (failure is null)
        {
            throw StorageErrors.Create(502, "InvalidBatchResponse", $"expected {actions.Count} sub-responses, got {responses.Count}", $"Transaction on {Name}", StorageErrors.WasRetried(message));
        }

        if (failure.Status is 404 or 409 or 412 && StorageErrors.WasRetried(message)
            && await FindOwnTransactionAsync(actions, cancellationToken).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        var (code, text) = StorageErrors.ParseErrorBody(Encoding.UTF8.GetBytes(failure.Body));
        throw StorageErrors.Create(failure.Status, code, text, $"Transaction on {Name}", StorageErrors.WasRetried(message), TableBatchCodec.FailedIndex(text, failure.ContentId));
    }

    private static readonly RequestMethod Merge = new("MERGE");

    private async Task<ETag> UpdateAsync(RequestMethod method, TableEntity entity, ETag ifMatch, bool exact, CancellationToken cancellationToken)
    {
        var operation = $"{(exact ? "Replace" : "Merge")} in {Name}";
        EntityLimits.Check(entity, operation);
        using var message = CreateMessage(method, EntityUrl(entity.PartitionKey, entity.RowKey));
        SetJson(message, EntityCodec.Serialize(entity));
        message.Request.Headers.SetValue(HttpHeader.Names.IfMatch, ifMatch.ToString());
        await pipeline.SendStorageRequestAsync(message, operation, cancellationToken).ConfigureAwait(false);
        if (message.Response.Status == 204)
        {
            return ResponseETag(message);
        }

        if (message.Response.Status == 412 && StorageErrors.WasRetried(message)
            && await FindOwnWriteAsync(entity, exact, cancellationToken).ConfigureAwait(false) is { } replayed)
        {
            return replayed;
        }

        throw StorageErrors.FromResponse(message, operation);
    }

    /// <summary>After an ambiguous retried write: the stored ETag if the stored entity is what we wrote, else null.</summary>
    private async Task<ETag?> FindOwnWriteAsync(TableEntity written, bool exact, CancellationToken cancellationToken)
    {
        var stored = await GetAsync(written.PartitionKey, written.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        return stored is not null && EntityValues.Contains(stored, written, exact) ? stored.ETag : null;
    }

    private async Task<IReadOnlyList<ETag?>?> FindOwnTransactionAsync(IReadOnlyList<TableTransactionAction> actions, CancellationToken cancellationToken)
    {
        var etags = new ETag?[actions.Count];
        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var stored = await GetAsync(action.Entity.PartitionKey, action.Entity.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            var applied = action.Type switch
            {
                TableActionType.Delete => stored is null,
                TableActionType.UpdateMerge or TableActionType.UpsertMerge => stored is not null && EntityValues.Contains(stored, action.Entity, exact: false),
                _ => stored is not null && EntityValues.Contains(stored, action.Entity, exact: true),
            };
            if (!applied)
            {
                return null;
            }

            etags[i] = stored?.ETag;
        }

        return etags;
    }

    private static void ValidateTransaction(IReadOnlyList<TableTransactionAction> actions)
    {
        ArgumentNullException.ThrowIfNull(actions);
        if (actions.Count is 0 or > 100)
        {
            throw new ArgumentException($"A transaction holds 1 to 100 operations, not {actions.Count}.", nameof(actions));
        }

        var partition = actions[0].Entity.PartitionKey;
        var rows = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < actions.Count; i++)
        {
            if (!string.Equals(actions[i].Entity.PartitionKey, partition, StringComparison.Ordinal))
            {
                throw new ArgumentException($"Operation {i} is in another partition; a transaction covers one partition.", nameof(actions));
            }

            if (!rows.Add(actions[i].Entity.RowKey))
            {
                throw new ArgumentException($"Operation {i} names a row that an earlier operation already names.", nameof(actions));
            }

            if (actions[i].Type != TableActionType.Delete)
            {
                EntityLimits.Check(actions[i].Entity, $"Transaction operation {i}");
            }
        }
    }

    private HttpMessage CreateMessage(RequestMethod method, string url)
    {
        var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(new Uri(url));
        message.Request.Headers.SetValue(HttpHeader.Names.Accept, "application/json;odata=minimalmetadata");
        message.Request.Headers.SetValue("DataServiceVersion", "3.0");
        message.Request.Headers.SetValue("MaxDataServiceVersion", "3.0;NetFx");
        return message;
    }

    private static void SetJson(HttpMessage message, byte[] json)
    {
        message.Request.Headers.SetValue(HttpHeader.Names.ContentType, "application/json");
        message.Request.Content = RequestContent.Create(json);
    }

    private static ETag ResponseETag(HttpMessage message) => message.Response.Headers.ETag ?? default;

    private string EntityUrl(string partitionKey, string rowKey) =>
        $"{tableUrl}(PartitionKey='{EscapeKey(partitionKey)}',RowKey='{EscapeKey(rowKey)}')";

    /// <summary>Keys sit in the URL as quoted OData literals: double every quote, then percent-encode.</summary>
    private static string EscapeKey(string key) => Uri.EscapeDataString(key.Replace("'", "''", StringComparison.Ordinal));

    private static string SelectList(IReadOnlyCollection<string> select) =>
        string.Join(',', select.Concat(["PartitionKey", "RowKey"]).Distinct(StringComparer.Ordinal));

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    private static partial Regex TableName();
}
