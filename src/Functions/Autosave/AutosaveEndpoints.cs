using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Serverless.Functions.Api;
using Serverless.Functions.Api.OpenApi;
using Serverless.Functions.Identity;
using Serverless.Storage.Autosave;

namespace Serverless.Functions.Autosave;

/// <summary>
/// Crash-recovery autosave: <c>PUT /api/v1/autosave/{slot}</c> replaces the slot's state (JSON, up to 1 MiB) in one table
/// write (a state that does not compress into the row also takes a blob), cheap enough for every open client every few seconds; <c>GET</c> returns the latest with its time, until the
/// slot expires (<see cref="AutosaveOptions.Expiry"/> after the last save); <c>DELETE</c> clears it after a clean exit.
/// </summary>
public static partial class AutosaveEndpoints
{
    /// <summary>One slot, relative to the <c>api</c> route prefix (as the functions' routes are).</summary>
    public const string SlotRoute = "v1/autosave/{slot}";

    /// <summary>Maps the autosave operations onto the local server's <c>/api</c> group, named as their functions.</summary>
    public static void Map(RouteGroupBuilder api)
    {
        var autosave = api.MapGroup(string.Empty).WithTags("Autosave");
        autosave.MapPut(SlotRoute, PutAutosave).WithName(nameof(AutosaveFunctions.PutAutosave))
            .WithSummary("Saves the slot's state (any JSON but null, up to 1 MiB), replacing the previous one; If-Match / If-None-Match: * honoured.")
            .Reads<JsonElement>().Answers<AutosaveSaved>().WithApiHeaders(ApiHeaders.ETag | ApiHeaders.IfMatch | ApiHeaders.IfNoneMatch).ProducesProblems(400, 412);
        autosave.MapGet(SlotRoute, GetAutosave).WithName(nameof(AutosaveFunctions.GetAutosave)).WithSummary("Reads the slot's latest state and when it was saved; 404 once it expired.")
            .Answers<AutosaveView>().WithApiHeaders(ApiHeaders.ETag).ProducesProblems(400, 404);
        autosave.MapDelete(SlotRoute, DeleteAutosave).WithName(nameof(AutosaveFunctions.DeleteAutosave)).WithSummary("Clears the slot (If-Match honoured).")
            .AnswersNoContent().WithApiHeaders(ApiHeaders.IfMatch).ProducesProblems(400, 404, 412);
    }

    /// <summary>PUT a slot's state.</summary>
    public static async Task<IResult> PutAutosave(string slot, AutosaveState body, HttpRequest request, HttpResponse response, CurrentUser user, AutosaveStore store, CancellationToken cancellationToken)
    {
        if (InvalidSlot(slot) is { } invalid)
        {
            return invalid;
        }

        if (body.State.ValueKind == JsonValueKind.Null)
        {
            return Problems.Validation("state", "The state must be a JSON value other than null; DELETE clears a slot.");
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        var createOnly = ETagHeaders.IsCreateOnly(request);
        AutosaveRecord saved;
        try
        {
            saved = await store.PutAsync(user.Partition, slot, JsonSerializer.SerializeToUtf8Bytes(body.State), ifMatch, createOnly, cancellationToken);
        }
        catch (RequestFailedException e) when ((e.Status == 404 && ifMatch is not null) || (e.Status == 409 && createOnly))
        {
            // RFC 9110: a failed If-Match or If-None-Match on a write is 412.
            return Problems.PreconditionFailed();
        }

        ETagHeaders.Set(response, saved.ETag);
        return TypedResults.Ok(AutosaveSaved.From(saved, store.Expiry));
    }

    /// <summary>GET a slot's latest state.</summary>
    public static async Task<IResult> GetAutosave(string slot, HttpResponse response, CurrentUser user, AutosaveStore store, CancellationToken cancellationToken)
    {
        if (InvalidSlot(slot) is { } invalid)
        {
            return invalid;
        }

        var saved = await store.GetAsync(user.Partition, slot, cancellationToken);
        if (saved is null)
        {
            return Problems.NotFound("autosave slot");
        }

        ETagHeaders.Set(response, saved.ETag);
        return TypedResults.Ok(AutosaveView.From(saved, store.Expiry));
    }

    /// <summary>DELETE a slot.</summary>
    public static async Task<IResult> DeleteAutosave(string slot, HttpRequest request, CurrentUser user, AutosaveStore store, CancellationToken cancellationToken)
    {
        if (InvalidSlot(slot) is { } invalid)
        {
            return invalid;
        }

        if (!ETagHeaders.TryGetIfMatch(request, out var ifMatch, out var problem))
        {
            return problem!;
        }

        try
        {
            return await store.DeleteAsync(user.Partition, slot, ifMatch, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("autosave slot");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            return Problems.PreconditionFailed();
        }
    }

    private static IResult? InvalidSlot(string slot) => Slot().IsMatch(slot)
        ? null
        : Problems.Validation("slot", "slot must be 1 to 100 characters: letters, digits, '.', '_', '-' or ':'.");

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,100}$")]
    private static partial Regex Slot();
}
