using Azure;
using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage;
using Serverless.Storage.Users;

namespace Serverless.Functions.Settings;

/// <summary>
/// Synced preferences: <c>/api/v1/settings/{namespace}/{key}</c> holds one JSON value, with ETags
/// for optimistic concurrency; <c>/api/v1/settings/{namespace}</c> lists a namespace in key order.
/// </summary>
public static partial class SettingsEndpoints
{
    /// <summary>The largest value, in bytes of UTF-8 JSON. It fits one table string property with room to spare.</summary>
    public const int MaxValueBytes = 32 * 1024;

    /// <summary>One namespace's settings, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string NamespaceRoute = "v1/settings/{namespace}";

    /// <summary>One setting, relative to the <c>api</c> route prefix.</summary>
    public const string SettingRoute = "v1/settings/{namespace}/{key}";

    /// <summary>Maps the settings operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var settings = api.MapGroup(string.Empty).WithTags("Settings");
        settings.MapGet(NamespaceRoute, ListSettings).WithName(nameof(SettingsFunctions.ListSettings)).WithSummary("Lists a namespace's settings in key order.")
            .Answers<ListPage<SettingView>>().WithListQuery(ListOrder.AscendingOnly).ProducesProblems(400);
        settings.MapGet(SettingRoute, GetSetting).WithName(nameof(SettingsFunctions.GetSetting)).WithSummary("Reads one setting.")
            .Answers<SettingView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        settings.MapPut(SettingRoute, PutSetting).WithName(nameof(SettingsFunctions.PutSetting)).WithSummary("Creates or replaces a setting (If-Match / If-None-Match: * honoured).")
            .Reads<SettingWrite>().Answers<SettingView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.IfNoneMatch).ProducesProblems(400, 412);
        settings.MapDelete(SettingRoute, DeleteSetting).WithName(nameof(SettingsFunctions.DeleteSetting)).WithSummary("Deletes a setting (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
    }

    /// <summary>GET one setting.</summary>
    public static async Task<IResult> GetSetting(string @namespace, string key, HttpResponse response, CurrentUser user, SettingsStore store, CancellationToken cancellationToken)
    {
        if (ValidateNames(@namespace, key) is { } invalid)
        {
            return invalid;
        }

        var record = await store.GetAsync(user.Partition, @namespace, key, cancellationToken);
        if (record is null)
        {
            return Problems.NotFound("setting");
        }

        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Ok(SettingView.From(record));
    }

    /// <summary>PUT one setting.</summary>
    public static async Task<IResult> PutSetting(string @namespace, string key, SettingWrite body, HttpRequest request, HttpResponse response, CurrentUser user, SettingsStore store, CancellationToken cancellationToken)
    {
        if (ValidateNames(@namespace, key) is { } invalid)
        {
            return invalid;
        }

        if (body.Value.ValueKind == JsonValueKind.Undefined)
        {
            return Problems.Validation("value", "value is required (any JSON value, null included).");
        }

        var json = JsonSerializer.Serialize(body.Value);
        if (System.Text.Encoding.UTF8.GetByteCount(json) > MaxValueBytes)
        {
            return Problems.Validation("value", $"value must serialize to at most {MaxValueBytes} bytes of JSON.");
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var createOnly = ETagHeaders.IsCreateOnly(request);
        SettingRecord record;
        try
        {
            record = await store.PutAsync(user.Partition, @namespace, key, json, ifMatch, createOnly, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404 && ifMatch is not null)
        {
            return Problems.PreconditionFailed();
        }
        catch (RequestFailedException e) when (e.Status == 409 && createOnly)
        {
            // RFC 9110: a failed If-None-Match on a write is 412.
            return Problems.PreconditionFailed();
        }

        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Ok(SettingView.From(record));
    }

    /// <summary>DELETE one setting.</summary>
    public static async Task<IResult> DeleteSetting(string @namespace, string key, HttpRequest request, CurrentUser user, SettingsStore store, CancellationToken cancellationToken)
    {
        if (ValidateNames(@namespace, key) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        return await store.DeleteAsync(user.Partition, @namespace, key, ifMatch, cancellationToken)
            ? TypedResults.NoContent()
            : Problems.NotFound("setting");
    }

    /// <summary>GET a namespace's settings.</summary>
    public static async Task<IResult> ListSettings(string @namespace, HttpRequest request, CurrentUser user, SettingsStore store, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (ValidateNames(@namespace, null) is { } invalid)
        {
            return invalid;
        }

        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        if (query.Descending)
        {
            return Problems.Validation("order", "Settings are listed in key order only: use order=asc or leave it out.");
        }

        var scope = "settings:" + @namespace;
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, @namespace, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<SettingView>(items.Select(SettingView.From).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    private static IResult? ValidateNames(string settingNamespace, string? key)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Name().IsMatch(settingNamespace))
        {
            errors["namespace"] = ["namespace must be 1 to 100 characters: letters, digits, '.', '_', '-' or ':'."];
        }

        if (key is not null && !Name().IsMatch(key))
        {
            errors["key"] = ["key must be 1 to 100 characters: letters, digits, '.', '_', '-' or ':'."];
        }

        return errors.Count > 0 ? Problems.Validation(errors) : null;
    }

    /// <summary>Whether <paramref name="name"/> is a valid namespace or key (imports check bundles' settings with it).</summary>
    public static bool IsName(string? name) => name is not null && Name().IsMatch(name);

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,100}$")]
    private static partial Regex Name();
}
