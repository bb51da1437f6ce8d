using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Identity;
using Serverless.Storage.Autosave;

namespace Serverless.Functions.Autosave;

/// <summary>The autosave operations as isolated-worker functions: each calls its <see cref="AutosaveEndpoints"/> operation.</summary>
public sealed class AutosaveFunctions(AutosaveStore store)
{
    /// <summary>PUT /api/v1/autosave/{slot}.</summary>
    [Function(nameof(PutAutosave))]
    public async Task<IResult> PutAutosave(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = AutosaveEndpoints.SlotRoute)] HttpRequest request, string slot, CancellationToken cancellationToken) =>
        await AutosaveEndpoints.PutAutosave(slot, await AutosaveState.ReadAsync(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/autosave/{slot}.</summary>
    [Function(nameof(GetAutosave))]
    public Task<IResult> GetAutosave(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = AutosaveEndpoints.SlotRoute)] HttpRequest request, string slot, CancellationToken cancellationToken) =>
        AutosaveEndpoints.GetAutosave(slot, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>DELETE /api/v1/autosave/{slot}.</summary>
    [Function(nameof(DeleteAutosave))]
    public Task<IResult> DeleteAutosave(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = AutosaveEndpoints.SlotRoute)] HttpRequest request, string slot, CancellationToken cancellationToken) =>
        AutosaveEndpoints.DeleteAutosave(slot, request, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
