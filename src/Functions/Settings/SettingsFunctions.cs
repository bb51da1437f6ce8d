using Microsoft.Azure.Functions.Worker;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Storage.Users;

namespace Serverless.Functions.Settings;

/// <summary>The settings operations as isolated-worker functions: each calls its <see cref="SettingsEndpoints"/> operation.</summary>
public sealed class SettingsFunctions(SettingsStore store, CursorProtector cursors)
{
    /// <summary>GET /api/v1/settings.</summary>
    [Function(nameof(ListSettingNamespaces))]
    public Task<IResult> ListSettingNamespaces(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SettingsEndpoints.NamespacesRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        SettingsEndpoints.ListSettingNamespaces(request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/settings/{namespace}.</summary>
    [Function(nameof(ListSettings))]
    public Task<IResult> ListSettings(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SettingsEndpoints.NamespaceRoute)] HttpRequest request, string @namespace, CancellationToken cancellationToken) =>
        SettingsEndpoints.ListSettings(@namespace, request, CurrentUser.From(request.HttpContext), store, cursors, cancellationToken);

    /// <summary>GET /api/v1/settings/{namespace}/{key}.</summary>
    [Function(nameof(GetSetting))]
    public Task<IResult> GetSetting(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = SettingsEndpoints.SettingRoute)] HttpRequest request, string @namespace, string key, CancellationToken cancellationToken) =>
        SettingsEndpoints.GetSetting(@namespace, key, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>PUT /api/v1/settings/{namespace}/{key}.</summary>
    [Function(nameof(PutSetting))]
    public async Task<IResult> PutSetting(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = SettingsEndpoints.SettingRoute)] HttpRequest request, string @namespace, string key, CancellationToken cancellationToken) =>
        await SettingsEndpoints.PutSetting(@namespace, key, await JsonBody.ReadAsync<SettingWrite>(request, cancellationToken), request, request.HttpContext.Response, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>DELETE /api/v1/settings/{namespace}/{key}.</summary>
    [Function(nameof(DeleteSetting))]
    public Task<IResult> DeleteSetting(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = SettingsEndpoints.SettingRoute)] HttpRequest request, string @namespace, string key, CancellationToken cancellationToken) =>
        SettingsEndpoints.DeleteSetting(@namespace, key, request, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
