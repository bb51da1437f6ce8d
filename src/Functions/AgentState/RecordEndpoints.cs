using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Records;
using Serverless.Storage.Users;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>
/// Records, typed per-user collections of JSON documents: <c>/api/v1/records</c> (the collections and quotas),
/// <c>/api/v1/records/{collection}</c> (list, create), <c>/api/v1/records/{collection}/{id}</c> (read, replace, merge-patch,
/// delete with optional cascade) and <c>…/{id}/increment</c> (atomic counters).
/// </summary>
public static partial class RecordEndpoints
{
    /// <summary>The collections.</summary>
    public const string CollectionsRoute = "v1/records";

    /// <summary>One collection.</summary>
    public const string CollectionRoute = "v1/records/{collection}";

    /// <summary>One record.</summary>
    public const string RecordRoute = "v1/records/{collection}/{id}";

    /// <summary>A record's counter increment.</summary>
    public const string IncrementRoute = "v1/records/{collection}/{id}/increment";

    /// <summary>Largest document, in UTF-8 bytes (over 64 KiB it goes to a blob).</summary>
    public const int MaxDataBytes = 1_000_000;

    /// <summary>Ancestors a record may have (so parent chains stay short to check for cycles).</summary>
    public const int MaxDepth = 32;

    /// <summary>Maps the record operations onto the local server's <c>/api</c> group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var records = api.MapGroup(string.Empty).WithTags("Records");
        records.MapGet(CollectionsRoute, ListCollections).WithName(nameof(RecordFunctions.ListCollections)).WithSummary("Lists the user's collections with their sizes, and the quotas.")
            .Answers<CollectionsView>();
        records.MapGet(CollectionRoute, ListRecords).WithName(nameof(RecordFunctions.ListRecords))
            .WithSummary("Lists a collection newest change first (sort=recent) or by id (sort=id), filtered by status, or a parent's children (parentId, by id).")
            .Answers<ListPage<RecordView>>().WithListQuery(ListOrder.AscendingOnly,
                new ListFilter("sort", "recent (newest change first, the default) or id.", ["recent", "id"]),
                ListFilter.Free("status", "Only records with this status."), ListFilter.Free("parentId", "Only the children of this record, by id."))
            .ProducesProblems(400);
        records.MapPost(CollectionRoute, CreateRecord).WithName(nameof(RecordFunctions.CreateRecord)).WithSummary("Creates a record (Idempotency-Key honoured).")
            .Reads<RecordCreate>().Answers<RecordView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey).ProducesProblems(400, 409, 422);
        records.MapGet(RecordRoute, GetRecord).WithName(nameof(RecordFunctions.GetRecord)).WithSummary("Reads a record.")
            .Answers<RecordView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        records.MapPut(RecordRoute, PutRecord).WithName(nameof(RecordFunctions.PutRecord)).WithSummary("Creates (201) or replaces (200) a record (If-Match / If-None-Match: * honoured).")
            .Reads<RecordPut>().Answers<RecordView>().Answers<RecordView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.IfNoneMatch).ProducesProblems(400, 409, 412);
        records.MapPatch(RecordRoute, PatchRecord).WithName(nameof(RecordFunctions.PatchRecord))
            .WithSummary("Changes a record: data as a JSON merge patch, status, parentId, expiresAt, counters (If-Match honoured).")
            .Reads<RecordPatch>().Answers<RecordView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch).ProducesProblems(400, 404, 409, 412);
        records.MapDelete(RecordRoute, DeleteRecord).WithName(nameof(RecordFunctions.DeleteRecord))
            .WithSummary("Deletes a record; with cascade=true its descendants first (202: more to delete, send it again). If-Match honoured.")
            .AnswersNoContent().Answers<RecordDeleteProgress>(StatusCodes.Status202Accepted).WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 409, 412);
        records.MapPost(IncrementRoute, IncrementCounter).WithName(nameof(RecordFunctions.IncrementCounter)).WithSummary("Adds to a counter atomically (no lost update under concurrency).")
            .Reads<CounterIncrement>().Answers<RecordView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
    }

    /// <summary>GET the collections.</summary>
    public static async Task<IResult> ListCollections(CurrentUser user, RecordStore store, CancellationToken cancellationToken)
    {
        var collections = await store.CollectionsAsync(user.Partition, cancellationToken);
        var quotas = store.Quotas;
        return TypedResults.Ok(new CollectionsView(
            collections.Select(c => new CollectionView(c.Collection, c.Records, c.Bytes)).ToList(), quotas.MaxRecordsPerCollection, quotas.MaxCollections, quotas.MaxBytes));
    }

    /// <summary>GET a collection's records.</summary>
    public static async Task<IResult> ListRecords(string collection, HttpRequest request, CurrentUser user, RecordStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, null);
        if (query.Descending)
        {
            errors["order"] = ["Records are listed in the order sort names only: leave order out."];
        }

        var sort = request.Query["sort"].ToString();
        if (sort is not ("" or "recent" or "id"))
        {
            errors["sort"] = ["sort must be recent or id."];
        }

        var status = request.Query["status"].ToString() is { Length: > 0 } s ? s : null;
        if (status is not null && !AgentValidation.IsLabel(status))
        {
            errors["status"] = [StatusRule];
        }

        var parent = request.Query["parentId"].ToString() is { Length: > 0 } p ? p : null;
        if (parent is not null && !AgentValidation.IsId(parent))
        {
            errors["parentId"] = [AgentValidation.IdRule("parentId")];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var listQuery = new RecordListQuery(sort != "id", status, parent);
        var scope = $"records:{collection}:{listQuery.ByRecency}:{status}:{parent}";
        string? continuation = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out continuation))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, collection, listQuery, query.Limit, continuation, cancellationToken);
        return TypedResults.Ok(new ListPage<RecordView>(items.Select(RecordView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>POST a record.</summary>
    public static async Task<IResult> CreateRecord(
        string collection, RecordCreate body, HttpRequest request, HttpResponse response, CurrentUser user, RecordStore store, IdempotencyKeys keys, TimeProvider time, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var id = body.Id ?? Guid.NewGuid().ToString("N");
        Names(errors, collection, id);
        var data = Data(errors, body.Data, required: false) ?? "{}";
        Fields(errors, body.Status, body.ParentId, body.Counters, body.ExpiresAt, time);
        if ((AgentValidation.Problem(errors) ?? await ParentProblemAsync(store, user, collection, id, body.ParentId, cancellationToken)) is { } invalid)
        {
            return invalid;
        }

        var idempotency = await keys.BeginAsync(request, "records.create", JsonSerializer.SerializeToUtf8Bytes(new { collection, body }, json.Value.SerializerOptions), cancellationToken);
        if (idempotency.Answer is { } answer)
        {
            return answer;
        }

        var location = $"/api/v1/records/{collection}/{id}";
        var state = new RecordState(data, body.Status, body.ParentId, body.ExpiresAt, body.Counters ?? new Dictionary<string, long>());
        var result = await WriteAsync(store, user, collection, id, _ => state, withData: false, null, createOnly: true, idempotency.Write, location, keys, json, cancellationToken);
        if (result.Problem is { } failed)
        {
            return failed is IStatusCodeHttpResult { StatusCode: 412 } ? Problems.Conflict("A record with this id already exists in this collection.") : failed;
        }

        ETagHeaders.Set(response, result.Item!.ETag);
        return TypedResults.Created(location, RecordView.From(result.Item));
    }

    /// <summary>GET a record.</summary>
    public static async Task<IResult> GetRecord(string collection, string id, HttpResponse response, CurrentUser user, RecordStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, id);
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var record = await store.GetAsync(user.Partition, collection, id, cancellationToken);
        if (record is null)
        {
            return Problems.NotFound("record");
        }

        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Ok(RecordView.From(record));
    }

    /// <summary>PUT a record.</summary>
    public static async Task<IResult> PutRecord(
        string collection, string id, RecordPut body, HttpRequest request, HttpResponse response, CurrentUser user, RecordStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, id);
        var data = Data(errors, body.Data, required: true);
        Fields(errors, body.Status, body.ParentId, body.Counters, body.ExpiresAt, time);
        if ((AgentValidation.Problem(errors) ?? await ParentProblemAsync(store, user, collection, id, body.ParentId, cancellationToken)) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var result = await WriteAsync(
            store, user, collection, id, current => new RecordState(data, body.Status, body.ParentId, body.ExpiresAt, body.Counters ?? current?.Counters ?? new Dictionary<string, long>()),
            withData: false, ifMatch, ETagHeaders.IsCreateOnly(request), null, null, null, null, cancellationToken);
        if (result.Problem is { } failed)
        {
            return failed;
        }

        ETagHeaders.Set(response, result.Item!.ETag);
        var view = RecordView.From(result.Item);
        return result.Created ? TypedResults.Created($"/api/v1/records/{collection}/{id}", view) : TypedResults.Ok(view);
    }

    /// <summary>PATCH a record.</summary>
    public static async Task<IResult> PatchRecord(
        string collection, string id, RecordPatch patch, HttpRequest request, HttpResponse response, CurrentUser user, RecordStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, id);
        if (patch.Fields.ValueKind != JsonValueKind.Object)
        {
            return Problems.Validation("body", "The body must be a JSON object.");
        }

        JsonNode? dataPatch = null;
        var hasData = false;
        var changes = new List<Func<RecordState, RecordState>>();
        string? newParent = null;
        var parentChanges = false;
        foreach (var property in patch.Fields.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "data" when value.ValueKind is JsonValueKind.Object:
                    hasData = true;
                    dataPatch = JsonNode.Parse(value.GetRawText());
                    break;
                case "status" when value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                    var status = value.ValueKind == JsonValueKind.Null ? null : value.GetString();
                    Fields(errors, status, null, null, null, time);
                    changes.Add(s => s with { Status = status });
                    break;
                case "parentId" when value.ValueKind is JsonValueKind.String or JsonValueKind.Null:
                    newParent = value.ValueKind == JsonValueKind.Null ? null : value.GetString();
                    parentChanges = true;
                    Fields(errors, null, newParent, null, null, time);
                    changes.Add(s => s with { ParentId = newParent });
                    break;
                case "expiresAt" when value.ValueKind is JsonValueKind.Null || (value.ValueKind is JsonValueKind.String && value.TryGetDateTimeOffset(out _)):
                    DateTimeOffset? expiresAt = value.ValueKind == JsonValueKind.Null ? null : value.GetDateTimeOffset();
                    Fields(errors, null, null, null, expiresAt, time);
                    changes.Add(s => s with { ExpiresAt = expiresAt });
                    break;
                case "counters" when value.ValueKind is JsonValueKind.Object:
                    var set = new Dictionary<string, long>(StringComparer.Ordinal);
                    foreach (var counter in value.EnumerateObject())
                    {
                        if (counter.Value.ValueKind != JsonValueKind.Number || !counter.Value.TryGetInt64(out var n))
                        {
                            errors["counters"] = ["counters must map names to integers."];
                            break;
                        }

                        set[counter.Name] = n;
                    }

                    Fields(errors, null, null, set, null, time);
                    changes.Add(s => s with { Counters = s.Counters.Concat(set).GroupBy(c => c.Key).ToDictionary(g => g.Key, g => g.Last().Value, StringComparer.Ordinal) });
                    break;
                default:
                    errors[property.Name] = ["Only data (an object: a JSON merge patch), status, parentId, expiresAt (each a value or null) and counters (name → integer) can be changed."];
                    break;
            }
        }

        if ((AgentValidation.Problem(errors) ?? (parentChanges ? await ParentProblemAsync(store, user, collection, id, newParent, cancellationToken) : null)) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        IResult? dataProblem = null;
        var result = await WriteAsync(
            store, user, collection, id,
            current =>
            {
                if (current is null)
                {
                    return null;
                }

                string? data = null;
                if (hasData)
                {
                    data = MergePatch(JsonNode.Parse(current.DataJson), dataPatch)!.ToJsonString();
                    if (Encoding.UTF8.GetByteCount(data) > MaxDataBytes)
                    {
                        dataProblem = Problems.Validation("data", $"The patched document would be over {MaxDataBytes} bytes.");
                        return null;
                    }
                }

                var state = new RecordState(data, current.Status, current.ParentId, current.ExpiresAt, current.Counters);
                state = changes.Aggregate(state, (s, change) => change(s));
                if (state.Counters.Count > RecordStore.MaxCounters)
                {
                    dataProblem = Problems.Validation("counters", $"A record has at most {RecordStore.MaxCounters} counters.");
                    return null;
                }

                return state;
            },
            withData: hasData, ifMatch, false, null, null, null, null, cancellationToken);
        if (dataProblem is not null)
        {
            return dataProblem;
        }

        if (result.Problem is { } failed)
        {
            return failed;
        }

        ETagHeaders.Set(response, result.Item!.ETag);
        return TypedResults.Ok(RecordView.From(result.Item));
    }

    /// <summary>DELETE a record (with <c>cascade=true</c>, its descendants first).</summary>
    public static async Task<IResult> DeleteRecord(string collection, string id, HttpRequest request, CurrentUser user, RecordStore store, IOptions<RecordOptions> options, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, id);
        var cascade = request.Query["cascade"].ToString();
        if (cascade is not ("" or "true" or "false"))
        {
            errors["cascade"] = ["cascade must be true or false."];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        try
        {
            var outcome = await store.DeleteAsync(user.Partition, collection, id, ifMatch, cascade == "true", options.Value.CascadeDeletesPerRequest, cancellationToken);
            return outcome switch
            {
                null => Problems.NotFound("record"),
                { Complete: true } => TypedResults.NoContent(),
                var (deleted, _) => TypedResults.Accepted($"/api/v1/records/{collection}/{id}", new RecordDeleteProgress(deleted, false)),
            };
        }
        catch (RecordHasChildrenException)
        {
            return Problems.Conflict("The record has children: delete them first, or send cascade=true to delete them with it.");
        }
        catch (RecordPreconditionException)
        {
            return Problems.PreconditionFailed();
        }
    }

    /// <summary>POST an increment of a counter.</summary>
    public static async Task<IResult> IncrementCounter(string collection, string id, CounterIncrement body, HttpResponse response, CurrentUser user, RecordStore store, TimeProvider time, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, collection, id);
        if (body.Counter is null || !CounterName().IsMatch(body.Counter))
        {
            errors["counter"] = [CounterRule];
        }

        var by = body.By ?? 1;
        if (by is < -1_000_000_000 or > 1_000_000_000)
        {
            errors["by"] = ["by must be from -1,000,000,000 to 1,000,000,000."];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        IResult? tooMany = null;
        var result = await WriteAsync(
            store, user, collection, id,
            current =>
            {
                if (current is null)
                {
                    return null;
                }

                var counters = new Dictionary<string, long>(current.Counters, StringComparer.Ordinal);
                var value = counters.GetValueOrDefault(body.Counter!);
                if ((by > 0 && value > long.MaxValue - by) || (by < 0 && value < long.MinValue - by))
                {
                    tooMany = Problems.Validation("by", "The counter would overflow a 64-bit integer.");
                    return null;
                }

                counters[body.Counter!] = value + by;
                if (counters.Count > RecordStore.MaxCounters)
                {
                    tooMany = Problems.Validation("counter", $"A record has at most {RecordStore.MaxCounters} counters.");
                    return null;
                }

                return new RecordState(null, current.Status, current.ParentId, current.ExpiresAt, counters);
            },
            withData: false, null, false, null, null, null, null, cancellationToken);
        if (tooMany is not null)
        {
            return tooMany;
        }

        if (result.Problem is { } failed)
        {
            return failed;
        }

        ETagHeaders.Set(response, result.Item!.ETag);
        return TypedResults.Ok(RecordView.From(result.Item));
    }

    private const string StatusRule = "status must be 1 to 64 characters: letters, digits, '_', '.', ':' or '-'.";
    private const string CounterRule = "counter must be a letter, then up to 63 letters, digits or '_'.";

    private sealed record WriteResult(RecordItem? Item, bool Created, IResult? Problem);

    /// <summary>One write through the store, its failures as problems (404 when <paramref name="decide"/> refused).</summary>
    private static async Task<WriteResult> WriteAsync(
        RecordStore store, CurrentUser user, string collection, string id, Func<RecordItem?, RecordState?> decide, bool withData, ETag? ifMatch, bool createOnly,
        IdempotentWrite? idempotency, string? location, IdempotencyKeys? keys, IOptions<JsonOptions>? json, CancellationToken cancellationToken)
    {
        try
        {
            Func<RecordItem, Azure.Data.Tables.TableTransactionAction>? record = idempotency is { } w
                ? item => w.Record(StatusCodes.Status201Created, JsonSerializer.Serialize(RecordView.From(item), json!.Value.SerializerOptions), location)
                : null;
            var written = await store.WriteAsync(user.Partition, collection, id, decide, withData, ifMatch, createOnly, record, cancellationToken);
            return written is { } done ? new WriteResult(done.Item, done.Created, null) : new WriteResult(null, false, Problems.NotFound("record"));
        }
        catch (RecordPreconditionException)
        {
            return new WriteResult(null, false, Problems.PreconditionFailed());
        }
        catch (RecordQuotaException e)
        {
            return new WriteResult(null, false, Problems.Result(StatusCodes.Status409Conflict, ProblemCodes.QuotaExceeded, "A quota would be exceeded.", $"The {e.Quota} quota is {e.Limit}."));
        }
        catch (RequestFailedException e) when (e.Status == 409 && idempotency is not null)
        {
            return new WriteResult(null, false, await keys!.AnswerAfterRaceAsync(idempotency, cancellationToken));
        }
    }

    /// <summary>Adds the errors of a collection name and a record id (null: not checked).</summary>
    internal static void Names(Dictionary<string, string[]> errors, string collection, string? id)
    {
        if (!AgentValidation.IsName(collection))
        {
            errors["collection"] = ["collection must be a lower-case name: a letter, then up to 63 of a-z 0-9 _ . : -."];
        }

        if (id is not null && !AgentValidation.IsId(id))
        {
            errors["id"] = [AgentValidation.IdRule("id")];
        }
    }

    /// <summary>Adds the error of a document that is not a JSON object of at most <see cref="MaxDataBytes"/>; returns its JSON text (null when absent).</summary>
    internal static string? Data(Dictionary<string, string[]> errors, JsonElement? data, bool required)
    {
        if (data is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                errors["data"] = ["data is required: a JSON object."];
            }

            return null;
        }

        var json = JsonSerializer.Serialize(element);
        if (element.ValueKind != JsonValueKind.Object || Encoding.UTF8.GetByteCount(json) > MaxDataBytes)
        {
            errors["data"] = [$"data must be a JSON object of at most {MaxDataBytes} bytes."];
            return null;
        }

        return json;
    }

    /// <summary>Adds the errors of a status, a parent id, counters and an expiry (null: not checked).</summary>
    internal static void Fields(Dictionary<string, string[]> errors, string? status, string? parentId, IReadOnlyDictionary<string, long>? counters, DateTimeOffset? expiresAt, TimeProvider time)
    {
        if (status is not null && !AgentValidation.IsLabel(status))
        {
            errors["status"] = [StatusRule];
        }

        if (parentId is not null && !AgentValidation.IsId(parentId))
        {
            errors["parentId"] = [AgentValidation.IdRule("parentId")];
        }

        if (counters is not null && (counters.Count > RecordStore.MaxCounters || counters.Keys.Any(k => !CounterName().IsMatch(k))))
        {
            errors["counters"] = [$"counters must hold at most {RecordStore.MaxCounters} names, each {CounterRule[8..]}"];
        }

        if (expiresAt is { } at && at <= time.GetUtcNow())
        {
            errors["expiresAt"] = ["expiresAt must be in the future."];
        }
    }

    /// <summary>A 400 when the parent does not exist, is the record itself, or has the record among its ancestors (a cycle).</summary>
    private static async Task<IResult?> ParentProblemAsync(RecordStore store, CurrentUser user, string collection, string id, string? parentId, CancellationToken cancellationToken) =>
        (await CheckParentAsync(store, user.Partition, collection, id, parentId, cancellationToken)).Error is { } error ? Problems.Validation("parentId", error) : null;

    /// <summary>
    /// Checks <paramref name="parentId"/> as the stored parent of record <paramref name="id"/>: the error when it does not
    /// exist, is the record itself, has the record among its ancestors (a cycle) or would give it more than
    /// <see cref="MaxDepth"/> ancestors; else null, and the number of ancestors the record would have.
    /// </summary>
    internal static async Task<(string? Error, int Ancestors)> CheckParentAsync(RecordStore store, UserPartition user, string collection, string id, string? parentId, CancellationToken cancellationToken)
    {
        var depth = 0;
        for (var ancestor = parentId; ancestor is not null; depth++)
        {
            if (ancestor == id)
            {
                return ("parentId would make the record its own ancestor.", depth);
            }

            if (depth >= MaxDepth)
            {
                return ($"A record may have at most {MaxDepth} ancestors.", depth);
            }

            var record = await store.GetAsync(user, collection, ancestor, cancellationToken);
            if (record is null)
            {
                return (depth == 0 ? "parentId must name a record of the same collection." : null, depth);
            }

            ancestor = record.ParentId;
        }

        return (null, depth);
    }

    /// <summary>RFC 7396: objects merge member by member, null removes a member, anything else replaces.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject members)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject existing ? (JsonObject)existing.DeepClone() : new JsonObject();
        foreach (var (name, value) in members)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = MergePatch(result[name], value);
            }
        }

        return result;
    }

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9_]{0,63}$")]
    private static partial Regex CounterName();
}
