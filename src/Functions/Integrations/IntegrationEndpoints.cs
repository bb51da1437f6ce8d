using System.Text;
using System.Text.Json;
using Azure;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Integrations;

namespace Serverless.Functions.Integrations;

/// <summary>
/// Integrations: <c>/api/v1/integrations/{provider}</c> holds a configuration document and named secrets, encrypted at
/// rest and write-only (reads show a mask, the last four characters of long values, and when each was set); missions
/// reference them in header values as <c>{{secret:provider/name}}</c>. <c>GET /api/v1/integrations</c> lists them.
/// </summary>
public static class IntegrationEndpoints
{
    /// <summary>The integrations, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string IntegrationsRoute = "v1/integrations";

    /// <summary>One integration.</summary>
    public const string IntegrationRoute = "v1/integrations/{provider}";

    /// <summary>The largest configuration document, in bytes of UTF-8 JSON (one table string property with room to spare).</summary>
    public const int MaxConfigBytes = 32 * 1024;

    /// <summary>Tries of a write without <c>If-Match</c> that keeps losing races.</summary>
    private const int WriteTries = 5;

    /// <summary>Maps the integration operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var integrations = api.MapGroup(string.Empty).WithTags("Integrations");
        integrations.MapGet(IntegrationsRoute, ListIntegrations).WithName(nameof(IntegrationFunctions.ListIntegrations)).WithSummary("Lists the user's integrations in provider order, secrets masked.")
            .Answers<ListPage<IntegrationView>>().WithListQuery(ListOrder.AscendingOnly).ProducesProblems(400);
        integrations.MapGet(IntegrationRoute, GetIntegration).WithName(nameof(IntegrationFunctions.GetIntegration)).WithSummary("Reads an integration's configuration, secrets masked.")
            .Answers<IntegrationView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        integrations.MapPut(IntegrationRoute, PutIntegration).WithName(nameof(IntegrationFunctions.PutIntegration))
            .WithSummary("Writes an integration: the configuration (absent: kept) and secrets to set or remove (null); unnamed secrets are kept (If-Match / If-None-Match: * honoured).")
            .Reads<IntegrationWrite>().Answers<IntegrationView>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.IfNoneMatch).ProducesProblems(400, 409, 412);
        integrations.MapDelete(IntegrationRoute, DeleteIntegration).WithName(nameof(IntegrationFunctions.DeleteIntegration)).WithSummary("Deletes an integration and its secrets (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
    }

    /// <summary>GET the user's integrations.</summary>
    public static async Task<IResult> ListIntegrations(HttpRequest request, CurrentUser user, IntegrationStore store, IntegrationSecrets secrets, CursorProtector cursors, CancellationToken cancellationToken)
    {
        if (!ListQuery.TryParse(request, defaultDescending: false, out var query, out var problem))
        {
            return problem!;
        }

        if (query.Descending)
        {
            return Problems.Validation("order", "Integrations are listed in provider order only: use order=asc or leave it out.");
        }

        const string scope = "integrations";
        string? after = null;
        if (query.Cursor is not null && !cursors.TryUnprotect(user.UserId, scope, query.Cursor, out after))
        {
            return Problems.InvalidCursor();
        }

        var (items, next) = await store.ListAsync(user.Partition, query.Limit, after, cancellationToken);
        return TypedResults.Ok(new ListPage<IntegrationView>(items.Select(i => IntegrationView.From(i, user.Partition, secrets)).ToList(), cursors.Protect(user.UserId, scope, next)));
    }

    /// <summary>GET one integration (secrets under an older key are re-encrypted with the active one on the way).</summary>
    public static async Task<IResult> GetIntegration(string provider, HttpResponse response, CurrentUser user, IntegrationStore store, IntegrationSecrets secrets, CancellationToken cancellationToken)
    {
        if (InvalidProvider(provider) is { } invalid)
        {
            return invalid;
        }

        var record = await store.GetAsync(user.Partition, provider, cancellationToken);
        if (record is null)
        {
            return Problems.NotFound("integration");
        }

        record = await secrets.RewrapAsync(user.Partition, record, cancellationToken);
        ETagHeaders.Set(response, record.ETag);
        return TypedResults.Ok(IntegrationView.From(record, user.Partition, secrets));
    }

    /// <summary>PUT an integration: configuration replaced (or kept), secrets merged, every stale cipher re-encrypted with the active key.</summary>
    public static async Task<IResult> PutIntegration(string provider, IntegrationWrite body, HttpRequest request, HttpResponse response, CurrentUser user,
        IntegrationStore store, IntegrationSecrets secrets, TimeProvider time, CancellationToken cancellationToken)
    {
        if (InvalidProvider(provider) is { } invalid)
        {
            return invalid;
        }

        var errors = new Dictionary<string, string[]>();
        var configJson = Config(errors, body.Config);
        foreach (var (name, value) in body.Secrets ?? [])
        {
            Secret(errors, name, value);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var createOnly = ETagHeaders.IsCreateOnly(request);
        for (var attempt = 1; ; attempt++)
        {
            var current = await store.GetAsync(user.Partition, provider, cancellationToken);
            if ((current is null && ifMatch is not null) || (current is not null && (createOnly || (ifMatch is { } expected && expected != ETag.All && expected != current.ETag))))
            {
                return Problems.PreconditionFailed();
            }

            var kept = current is null ? new Dictionary<string, StoredSecret>() : new Dictionary<string, StoredSecret>(secrets.Rewrapped(user.Partition, current) ?? current.Secrets, StringComparer.Ordinal);
            foreach (var (name, value) in body.Secrets ?? [])
            {
                if (value is null)
                {
                    kept.Remove(name);
                }
                else
                {
                    kept[name] = secrets.Protect(user.Partition, provider, name, value);
                }
            }

            if (kept.Count > IntegrationStore.MaxSecrets)
            {
                return Problems.Validation("secrets", $"An integration holds at most {IntegrationStore.MaxSecrets} secrets.");
            }

            var now = time.GetUtcNow();
            var record = new IntegrationRecord(provider, configJson ?? current?.ConfigJson ?? "{}", kept, current?.CreatedAt ?? now, now);
            try
            {
                // Conditional on the version read, so the merge is atomic; a lost race merges again unless the client pinned a version.
                record = await store.PutAsync(user.Partition, record, current?.ETag, createOnly: current is null, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && (ifMatch is not null || createOnly))
            {
                return Problems.PreconditionFailed();
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412 && attempt >= WriteTries)
            {
                return Problems.Conflict("The integration kept changing while it was written; send the request again.");
            }
            catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
            {
                continue;
            }

            ETagHeaders.Set(response, record.ETag);
            return TypedResults.Ok(IntegrationView.From(record, user.Partition, secrets));
        }
    }

    /// <summary>DELETE an integration; missions referencing its secrets then fail at delivery with a run-log error saying so.</summary>
    public static async Task<IResult> DeleteIntegration(string provider, HttpRequest request, CurrentUser user, IntegrationStore store, CancellationToken cancellationToken)
    {
        if (InvalidProvider(provider) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        try
        {
            return await store.DeleteAsync(user.Partition, provider, ifMatch, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("integration");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }
    }

    /// <summary>Adds the error of a configuration that is not a JSON object of at most <see cref="MaxConfigBytes"/>; returns its JSON text (null when absent).</summary>
    internal static string? Config(Dictionary<string, string[]> errors, JsonElement config)
    {
        if (config.ValueKind == JsonValueKind.Object)
        {
            var json = JsonSerializer.Serialize(config);
            if (Encoding.UTF8.GetByteCount(json) > MaxConfigBytes)
            {
                errors["config"] = [$"config must serialize to at most {MaxConfigBytes} bytes of JSON."];
            }

            return json;
        }

        if (config.ValueKind != JsonValueKind.Undefined)
        {
            errors["config"] = ["config must be a JSON object (or absent, to keep the current one)."];
        }

        return null;
    }

    /// <summary>Adds the error of a secret's name, or of its value (null: to remove it).</summary>
    internal static void Secret(Dictionary<string, string[]> errors, string name, string? value)
    {
        if (!SecretReferences.IsSecretName(name))
        {
            errors[$"secrets.{name}"] = ["A secret's name is 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or digit."];
        }
        else if (value is { Length: 0 or > IntegrationSecrets.MaxValueChars })
        {
            errors[$"secrets.{name}"] = [$"A secret's value is 1 to {IntegrationSecrets.MaxValueChars} characters (null removes it)."];
        }
    }

    private static IResult? InvalidProvider(string provider) => SecretReferences.IsProvider(provider)
        ? null
        : Problems.Validation("provider", "provider must be 1 to 64 of a-z 0-9 . _ - starting with a letter or digit.");
}
