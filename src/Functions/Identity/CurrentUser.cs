using System.Reflection;
using System.Security.Claims;
using Serverless.Storage.Users;

namespace Serverless.Functions.Identity;

/// <summary>
/// The signed-in user of this request: the only source of the user id that reaches storage. The
/// id comes from the validated identity (the token's <c>sub</c>, put on <see cref="HttpContext.User"/>
/// by the API gate), never from path, query or body. Built from the request itself, so it is the
/// same under the Functions worker (where <c>IHttpContextAccessor</c> is not populated) and the
/// local server.
/// </summary>
public sealed class CurrentUser : IBindableFromHttpContext<CurrentUser>
{
    /// <summary>The claim that carries the user id after authentication.</summary>
    public const string UserIdClaim = "sub";

    private CurrentUser(UserPartition partition) => Partition = partition;

    /// <summary>The user's id as the identity provider issued it.</summary>
    public string UserId => Partition.UserId;

    /// <summary>The user's storage partition.</summary>
    public UserPartition Partition { get; }

    /// <summary>The authenticated user of <paramref name="context"/>.</summary>
    /// <exception cref="InvalidOperationException">The request is not authenticated (an operation marked anonymous asked for a user).</exception>
    public static CurrentUser From(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new CurrentUser(UserPartition.For(
            context.User.FindFirstValue(UserIdClaim)
            ?? throw new InvalidOperationException("No authenticated user: an anonymous operation cannot act for a user.")));
    }

    /// <summary>Binds the parameter of a minimal-API handler (the local server).</summary>
    public static ValueTask<CurrentUser?> BindAsync(HttpContext context, ParameterInfo parameter) => ValueTask.FromResult<CurrentUser?>(From(context));
}
