using Serverless.Functions.Hosting;

namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// The HTTP functions of the app's endpoints: one per public route pattern, carrying every method
/// the pattern answers, so the host proxies exactly the requests the app routes.
/// </summary>
public static class HttpFunctions
{
    /// <summary>The host's route prefix (<c>extensions.http.routePrefix</c> in host.json); every public route starts with it.</summary>
    public const string RoutePrefix = "api";

    /// <summary>The method order in function.json: fixed, so regenerating never reorders a file.</summary>
    private static readonly string[] MethodOrder = ["get", "head", "post", "put", "patch", "delete", "options"];

    /// <summary>True for endpoints that get a function: routed, matchable, and not part of the host protocol.</summary>
    public static bool IsPublic(Endpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint is RouteEndpoint
            && endpoint.Metadata.GetMetadata<HostProtocolEndpoint>() is null
            && endpoint.Metadata.GetMetadata<ISuppressMatchingMetadata>() is not { SuppressMatching: true };
    }

    /// <summary>
    /// The route of <paramref name="endpoint"/> as function.json writes it: the pattern as written,
    /// constraints included, without the leading <c>/api/</c> that the host adds back.
    /// </summary>
    /// <exception cref="InvalidOperationException">The route does not start with <c>/api/</c>, so the host could never reach it.</exception>
    public static string RouteOf(RouteEndpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var pattern = endpoint.RoutePattern.RawText
            ?? throw new InvalidOperationException($"The endpoint '{endpoint.DisplayName}' has no route text to publish.");
        var trimmed = pattern.TrimStart('/');
        if (!trimmed.StartsWith(RoutePrefix + "/", StringComparison.Ordinal) || trimmed.Length == RoutePrefix.Length + 1)
        {
            throw new InvalidOperationException(
                $"The route '{pattern}' ({endpoint.DisplayName}) does not start with '/{RoutePrefix}/': the Functions host only forwards paths below " +
                $"its route prefix, so no function can serve it. Move it below /{RoutePrefix}/, or mark it with {nameof(HostProtocolEndpoint)} if the host itself calls it.");
        }

        return trimmed[(RoutePrefix.Length + 1)..];
    }

    /// <summary>
    /// The lower-case methods <paramref name="endpoint"/> answers, or null when it answers any method.
    /// <c>options</c> is included when the endpoint accepts CORS preflight requests.
    /// </summary>
    public static IReadOnlyList<string>? MethodsOf(Endpoint endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        if (endpoint.Metadata.GetMetadata<IHttpMethodMetadata>() is not { HttpMethods.Count: > 0 } metadata)
        {
            return null;
        }

        var methods = metadata.HttpMethods.Select(m => m.ToLowerInvariant());
        return Ordered(metadata.AcceptCorsPreflight ? methods.Append("options") : methods);
    }

    /// <summary>The functions of <paramref name="endpoints"/>; endpoints sharing a route pattern share a function.</summary>
    public static IReadOnlyList<FunctionDescription> From(IEnumerable<Endpoint> endpoints)
    {
        var byRoute = new SortedDictionary<string, List<RouteEndpoint>>(StringComparer.Ordinal);
        foreach (var endpoint in endpoints.Where(IsPublic).Cast<RouteEndpoint>())
        {
            var route = RouteOf(endpoint);
            if (!byRoute.TryGetValue(route, out var list))
            {
                byRoute[route] = list = [];
            }

            list.Add(endpoint);
        }

        return byRoute.Select(pair =>
        {
            var methodSets = pair.Value.Select(MethodsOf).ToList();

            // One endpoint that takes any method makes the function take any method.
            var methods = methodSets.Any(m => m is null) ? null : Ordered(methodSets.SelectMany(m => m!));
            return new FunctionDescription(
                FunctionNames.ForRoute(pair.Key),
                [FunctionBinding.HttpTrigger(pair.Key, methods), FunctionBinding.HttpOutput],
                $"route /{RoutePrefix}/{pair.Key}");
        }).ToList();
    }

    private static string[] Ordered(IEnumerable<string> methods)
    {
        // Known methods in their usual order, anything unusual after them alphabetically.
        return methods.Distinct(StringComparer.Ordinal)
            .OrderBy(m => Array.IndexOf(MethodOrder, m) is var i and >= 0 ? i : MethodOrder.Length)
            .ThenBy(m => m, StringComparer.Ordinal)
            .ToArray();
    }
}
