using System.Security.Claims;
using Serverless.Storage.Users;

namespace Serverless.Functions.Identity;

/// <summary>
/// The signed-in user of this request: the only source of the user id that reaches storage. The
/// id comes from the validated identity (the token's <c>sub</c>), never from path, query or body.
/// </summary>
public sealed class CurrentUser(IHttpContextAccessor accessor)
{
    /// <summary>The claim that carries the user id after authentication.</summary>
    public const string UserIdClaim = "sub";

    private UserPartition? partition;

    /// <summary>The user's id as the identity provider issued it.</summary>
    public string UserId => Partition.UserId;

    /// <summary>The user's storage partition.</summary>
    /// <exception cref="InvalidOperationException">The request is not authenticated (an endpoint forgot RequireAuthorization).</exception>
    public UserPartition Partition => partition ??= UserPartition.For(
        accessor.HttpContext?.User.FindFirstValue(UserIdClaim)
        ?? throw new InvalidOperationException("No authenticated user: the endpoint must require authorization."));
}
