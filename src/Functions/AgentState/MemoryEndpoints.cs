using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Microsoft.Extensions.Options;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Memories;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.AgentState;

/// <summary>
/// Memories: <c>/api/v1/memories/{scope}</c> (list a scope by namespace prefix, or search it with <c>q=</c>),
/// <c>/api/v1/memories/{scope}/{namespace}</c> (create under a new key) and <c>/api/v1/memories/{scope}/{namespace}/{key}</c>
/// (read, create or replace, delete). A scope is <c>user</c>, <c>space:{id}</c> or <c>app:{id}</c>; a namespace is a
/// dot-separated path (<c>prefs.ui</c>).
/// </summary>
public static partial class MemoryEndpoints
{
    /// <summary>A scope's memories.</summary>
    public const string ScopeRoute = "v1/memories/{scope}";

    /// <summary>A namespace (create under a new key).</summary>
    public const string NamespaceRoute = "v1/memories/{scope}/{namespace}";

    /// <summary>One memory.</summary>
    public const string MemoryRoute = "v1/memories/{scope}/{namespace}/{key}";

    /// <summary>Largest value, in UTF-8 bytes of JSON.</summary>
    public const int MaxValueBytes = 32 * 1024;

    /// <summary>Most tags per memory.</summary>
    public const int MaxTags = 16;

    /// <summary>Maps the memory operations onto the local server's <c>/api</c> group.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var memories = api.MapGroup(string.Empty).WithTags("Memories");
        memories.MapGet(ScopeRoute, ListMemories).WithName(nameof(MemoryFunctions.ListMemories))
            .WithSummary("Lists a scope's memories in a namespace and below it (by namespace, then key), or with q= those holding every word of q.")
            .Answers<ListPage<MemoryView>>().WithListQuery(ListOrder.AscendingOnly, ListFilter.Free("namespace", "A namespace path (prefs.ui): only memories in it and in namespaces below it."),
                ListFilter.Free("q", "Words (up to 8): only memories whose key, tags or value hold every one (at most 100 candidates read per request; a page may be short, follow nextCursor)."))
            .ProducesProblems(400);
        memories.MapPost(NamespaceRoute, CreateMemory).WithName(nameof(MemoryFunctions.CreateMemory)).WithSummary("Creates a memory under a new key (generated when absent; Idempotency-Key honoured).")
            .Reads<MemoryCreate>().Answers<MemoryView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.Location | ApiHeaders.IdempotencyKey).ProducesProblems(400, 409, 422);
        memories.MapGet(MemoryRoute, GetMemory).WithName(nameof(MemoryFunctions.GetMemory)).WithSummary("Reads a memory.")
            .Answers<MemoryView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        memories.MapPut(MemoryRoute, PutMemory).WithName(nameof(MemoryFunctions.PutMemory)).WithSummary("Creates (201) or replaces (200) a memory (If-Match / If-None-Match: * honoured).")
            .Reads<MemoryPut>().Answers<MemoryView>().Answers<MemoryView>(StatusCodes.Status201Created).WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.IfNoneMatch).ProducesProblems(400, 412);
        memories.MapDelete(MemoryRoute, DeleteMemory).WithName(nameof(MemoryFunctions.DeleteMemory)).WithSummary("Deletes a memory (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
    }

    /// <summary>GET a scope's memories, or search them.</summary>
    public static async Task<IResult> ListMemories(string scope, HttpRequest request, CurrentUser user, MemoryStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        var errors = new Dictionary<string, string[]>();
        Names(errors, scope, null, null);
        var ns = request.Query["namespace"].ToString();
        if (ns.Length > 0 && !NamespacePath().IsMatch(ns))
        {
            errors["namespace"] = [NamespaceRule];
        }

        if (query.Descending)
        {
            errors["order"] = ["Memories are listed in namespace and key order only: use order=asc or leave it out."];
        }

        var q = request.Query["q"].ToString();
        var words = MemoryWords.OfQuery(q);
        if (request.Query.ContainsKey("q") && (words.Count is 0 or > MemoryWords.MaxPerQuery))
        {
            errors["q"] = [$"q must hold 1 to {MemoryWords.MaxPerQuery} words of 2 to 32 letters or digits."];
        }

        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var listScope = $"memories:{scope}:{ns}:{string.Join(' ', words)}";
        string? position = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, listScope, query.Cursor, out position))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = words.Count > 0
            ? await store.SearchAsync(user.Partition, scope, ns, words, query.Limit, position, cancellationToken)
            : await store.ListAsync(user.Partition, scope, ns, query.Limit, position, cancellationToken);
        return TypedResults.Ok(new ListPage<MemoryView>(items.Select(MemoryView.From).ToList(), cursors.Protect(user.UserId, listScope, next)));
    }

    /// <summary>POST a memory under a new key.</summary>
    public static async Task<IResult> CreateMemory(
        string scope, string @namespace, MemoryCreate body, HttpRequest request, HttpResponse response, CurrentUser user, MemoryStore store, IdempotencyKeys keys, IOptions<JsonOptions> json, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var key = body.Key ?? Guid.NewGuid().ToString("N");
        Names(errors, scope, @namespace, key);
        var write = Write(errors, body.Value, body.Tags, body.Source);
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var canonical = JsonSerializer.SerializeToUtf8Bytes(new { scope, @namespace, body }, json.Value.SerializerOptions);
        var idempotency = await keys.BeginAsync(request, "memories.create", canonical, cancellationToken);
        if (idempotency.Answer is { } answer)
        {
            return answer;
        }

        var location = $"/api/v1/memories/{scope}/{@namespace}/{key}";
        MemoryRecord memory;
        try
        {
            // The answer recorded for the key is the view of the memory as it will be stored, in the same transaction.
            var record = idempotency.Write is { } w
                ? (Func<MemoryRecord, Azure.Data.Tables.TableTransactionAction>)(m => w.Record(StatusCodes.Status201Created, JsonSerializer.Serialize(MemoryView.From(m), json.Value.SerializerOptions), location))
                : null;
            (memory, _) = await store.PutAsync(user.Partition, scope, @namespace, key, write!, null, createOnly: true, record, cancellationToken);
        }
        catch (MemoryPreconditionException)
        {
            return Problems.Conflict("A memory with this key already exists in this namespace.");
        }
        catch (RequestFailedException e) when (e.Status == 409 && idempotency.Write is { } raced)
        {
            return await keys.AnswerAfterRaceAsync(raced, cancellationToken);
        }

        ETagHeaders.Set(response, memory.ETag);
        return TypedResults.Created(location, MemoryView.From(memory));
    }

    /// <summary>GET one memory.</summary>
    public static async Task<IResult> GetMemory(string scope, string @namespace, string key, HttpResponse response, CurrentUser user, MemoryStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, scope, @namespace, key);
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        var memory = await store.GetAsync(user.Partition, scope, @namespace, key, cancellationToken);
        if (memory is null)
        {
            return Problems.NotFound("memory");
        }

        ETagHeaders.Set(response, memory.ETag);
        return TypedResults.Ok(MemoryView.From(memory));
    }

    /// <summary>PUT one memory.</summary>
    public static async Task<IResult> PutMemory(string scope, string @namespace, string key, MemoryPut body, HttpRequest request, HttpResponse response, CurrentUser user, MemoryStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        var write = Validate(errors, scope, @namespace, key, body);
        if (AgentValidation.Problem(errors) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        MemoryRecord memory;
        bool created;
        try
        {
            (memory, created) = await store.PutAsync(user.Partition, scope, @namespace, key, write!, ifMatch, ETagHeaders.IsCreateOnly(request), null, cancellationToken);
        }
        catch (MemoryPreconditionException)
        {
            return Problems.PreconditionFailed();
        }

        ETagHeaders.Set(response, memory.ETag);
        var view = MemoryView.From(memory);
        return created ? TypedResults.Created($"/api/v1/memories/{scope}/{@namespace}/{key}", view) : TypedResults.Ok(view);
    }

    /// <summary>DELETE one memory.</summary>
    public static async Task<IResult> DeleteMemory(string scope, string @namespace, string key, HttpRequest request, CurrentUser user, MemoryStore store, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        Names(errors, scope, @namespace, key);
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
            return await store.DeleteAsync(user.Partition, scope, @namespace, key, ifMatch, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("memory");
        }
        catch (MemoryPreconditionException)
        {
            return Problems.PreconditionFailed();
        }
    }

    /// <summary>Checks a memory as a PUT does (scope, namespace, key, value, tags, source), adding to <paramref name="errors"/>; returns what to store, or null.</summary>
    public static MemoryWrite? Validate(Dictionary<string, string[]> errors, string scope, string @namespace, string key, MemoryPut body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Names(errors, scope, @namespace, key);
        return Write(errors, body.Value, body.Tags, body.Source);
    }

    private const string NamespaceRule = "namespace must be 1 to 8 dot-separated segments of 1 to 64 letters, digits, '_' or '-' (e.g. prefs.ui), at most 200 characters.";

    private static void Names(Dictionary<string, string[]> errors, string scope, string? ns, string? key)
    {
        if (!Scope().IsMatch(scope))
        {
            errors["scope"] = ["scope must be 'user', 'space:{id}' or 'app:{id}' (id: 1 to 64 letters, digits, '_' or '-')."];
        }

        if (ns is not null && !NamespacePath().IsMatch(ns))
        {
            errors["namespace"] = [NamespaceRule];
        }

        if (key is not null && !Key().IsMatch(key))
        {
            errors["key"] = ["key must be 1 to 128 characters: letters, digits, '.', '_', ':' or '-'."];
        }
    }

    private static MemoryWrite? Write(Dictionary<string, string[]> errors, JsonElement value, IReadOnlyList<string>? tags, MemorySource? source)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            errors["value"] = ["value is required: text (a JSON string) or any JSON value."];
        }

        var json = AgentValidation.AnyJson(errors, "value", value, MaxValueBytes);
        var tagList = (tags ?? []).Distinct(StringComparer.Ordinal).ToList();
        if (tagList.Count > MaxTags || tagList.Any(t => t is null || t.Length is 0 or > 64))
        {
            errors["tags"] = [$"tags must be at most {MaxTags} strings of 1 to 64 characters."];
        }

        if (source?.ThreadId is { } thread && !AgentValidation.IsId(thread))
        {
            errors["source.threadId"] = [AgentValidation.IdRule("source.threadId")];
        }

        if (source?.MessageSequence is < 1)
        {
            errors["source.messageSequence"] = ["source.messageSequence must be at least 1."];
        }

        return json is null ? null : new MemoryWrite(json, tagList, source?.ThreadId, source?.MessageSequence);
    }

    [GeneratedRegex("^(user|(space|app):[A-Za-z0-9_-]{1,64})$")]
    private static partial Regex Scope();

    [GeneratedRegex("^(?=.{1,200}$)[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,64}){0,7}$")]
    private static partial Regex NamespacePath();

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex Key();
}
