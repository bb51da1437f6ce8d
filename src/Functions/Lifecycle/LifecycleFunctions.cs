using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;
using Serverless.Functions.Identity;
using Serverless.Storage.Lifecycle;

namespace Serverless.Functions.Lifecycle;

/// <summary>The <c>/api/v1/me</c> operations as isolated-worker functions: each calls its <see cref="LifecycleEndpoints"/> operation.</summary>
public sealed class LifecycleFunctions(LifecycleJobs jobs, IOptions<LifecycleRunOptions> options, TimeProvider time)
{
    /// <summary>DELETE /api/v1/me.</summary>
    [Function(nameof(DeleteMe))]
    public Task<IResult> DeleteMe(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = LifecycleEndpoints.MeRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.DeleteMe(CurrentUser.From(request.HttpContext), jobs, options, time, cancellationToken);

    /// <summary>GET /api/v1/me/erasure.</summary>
    [Function(nameof(GetErasure))]
    public Task<IResult> GetErasure(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LifecycleEndpoints.ErasureRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.GetErasure(CurrentUser.From(request.HttpContext), jobs, cancellationToken);

    /// <summary>GET /api/v1/me/usage.</summary>
    [Function(nameof(GetStorageUsage))]
    public Task<IResult> GetStorageUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LifecycleEndpoints.UsageRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.GetStorageUsage(CurrentUser.From(request.HttpContext), jobs, options, time, cancellationToken);

    /// <summary>POST /api/v1/me/usage/refresh.</summary>
    [Function(nameof(RefreshStorageUsage))]
    public Task<IResult> RefreshStorageUsage(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = LifecycleEndpoints.UsageRefreshRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.RefreshStorageUsage(CurrentUser.From(request.HttpContext), jobs, options, time, cancellationToken);

    /// <summary>GET /api/v1/me/integrity.</summary>
    [Function(nameof(GetIntegrity))]
    public Task<IResult> GetIntegrity(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LifecycleEndpoints.IntegrityRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.GetIntegrity(CurrentUser.From(request.HttpContext), jobs, options, time, cancellationToken);

    /// <summary>POST /api/v1/me/integrity/repair.</summary>
    [Function(nameof(RepairIntegrity))]
    public Task<IResult> RepairIntegrity(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = LifecycleEndpoints.RepairRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.RepairIntegrity(CurrentUser.From(request.HttpContext), jobs, options, time, cancellationToken);

    /// <summary>GET /api/v1/me/migrations.</summary>
    [Function(nameof(ListMigrations))]
    public Task<IResult> ListMigrations(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = LifecycleEndpoints.MigrationsRoute)] HttpRequest request, CancellationToken cancellationToken) =>
        LifecycleEndpoints.ListMigrations(CurrentUser.From(request.HttpContext), jobs, cancellationToken);
}
