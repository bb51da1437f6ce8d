using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Identity;
using Serverless.Functions.Lifecycle;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Portability;

namespace Serverless.Functions.Portability;

/// <summary>The export and import operations as isolated-worker functions: each calls its <see cref="PortabilityEndpoints"/> operation.</summary>
public sealed class PortabilityFunctions(PortabilityJobStore store, PortabilityJobRunner runner, PortabilityPassphrases passphrases, LifecycleJobs lifecycle,
    IOptions<LifecycleRunOptions> options, IOptions<PortabilityOptions> portability, TimeProvider time)
{
    /// <summary>POST /api/v1/me/export.</summary>
    [Function(nameof(StartExport))]
    public Task<IResult> StartExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = PortabilityEndpoints.ExportRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        PortabilityEndpoints.StartExport(request, CurrentUser.From(request.HttpContext), store, runner, passphrases, lifecycle, options, time, cancellationToken);

    /// <summary>GET /api/v1/me/exports/{id}.</summary>
    [Function(nameof(GetExport))]
    public Task<IResult> GetExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = PortabilityEndpoints.ExportJobRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        PortabilityEndpoints.GetExport(id, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>GET /api/v1/me/exports/{id}/bundle.</summary>
    [Function(nameof(DownloadExport))]
    public Task<IResult> DownloadExport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = PortabilityEndpoints.ExportBundleRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        PortabilityEndpoints.DownloadExport(id, CurrentUser.From(request.HttpContext), store, cancellationToken);

    /// <summary>POST /api/v1/me/import.</summary>
    [Function(nameof(StartImport))]
    public Task<IResult> StartImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = PortabilityEndpoints.ImportRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        PortabilityEndpoints.StartImport(request, CurrentUser.From(request.HttpContext), store, runner, passphrases, lifecycle, options, portability, time, cancellationToken);

    /// <summary>GET /api/v1/me/imports/{id}.</summary>
    [Function(nameof(GetImport))]
    public Task<IResult> GetImport(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = PortabilityEndpoints.ImportJobRoute)] HttpRequest request, string id, CancellationToken cancellationToken) =>
        PortabilityEndpoints.GetImport(id, CurrentUser.From(request.HttpContext), store, cancellationToken);
}
