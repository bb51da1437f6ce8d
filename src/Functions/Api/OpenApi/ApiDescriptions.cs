namespace Serverless.Functions.Api.OpenApi;

/// <summary>The conditional-request and replay headers an operation takes or answers, for the OpenAPI document.</summary>
[Flags]
public enum ApiHeaders
{
    /// <summary>None.</summary>
    None = 0,

    /// <summary>Answers <c>ETag</c> (the resource's version).</summary>
    ETag = 1,

    /// <summary>Takes <c>If-Match</c> (stale → 412).</summary>
    IfMatch = 2,

    /// <summary>Takes <c>If-None-Match: *</c> (create only).</summary>
    IfNoneMatch = 4,

    /// <summary>Takes <c>Idempotency-Key</c> and answers <c>Idempotent-Replayed</c> on replays.</summary>
    IdempotencyKey = 8,

    /// <summary>Answers <c>Location</c> on 201 and 202.</summary>
    Location = 16,

    /// <summary>Takes <c>Secrets-Passphrase</c> (an import's key to the bundle's sealed integration secrets).</summary>
    SecretsPassphrase = 32,
}

/// <summary>The orders a list accepts.</summary>
public enum ListOrder
{
    /// <summary>Only <c>asc</c> (the default).</summary>
    AscendingOnly,

    /// <summary>Only <c>desc</c> (the default).</summary>
    DescendingOnly,

    /// <summary><c>asc</c> (the default) or <c>desc</c>.</summary>
    Both,
}

/// <summary>A list's filter query parameter.</summary>
/// <param name="Name">The query parameter.</param>
/// <param name="Description">What it does.</param>
/// <param name="Values">Its allowed values.</param>
public sealed record ListFilter(string Name, string Description, IReadOnlyList<string> Values)
{
    /// <summary>A filter taking any text the operation validates (no fixed values).</summary>
    public static ListFilter Free(string name, string description) => new(name, description, []);

    /// <summary><c>sort</c> of the thread list.</summary>
    public static ListFilter ThreadSort { get; } = new("sort", "recent (by last activity, the default) or created.", ["recent", "created"]);

    /// <summary><c>archived</c> of the thread list.</summary>
    public static ListFilter Archived { get; } = new("archived", "Archived threads only (true), live ones only (false, the default), or both (any).", ["true", "false", "any"]);

    /// <summary><c>starred</c> of the thread list.</summary>
    public static ListFilter Starred { get; } = new("starred", "Starred threads only (true), unstarred only (false), or both (any, the default).", ["true", "false", "any"]);

    /// <summary><c>deleted</c> of the thread list.</summary>
    public static ListFilter Deleted { get; } = new("deleted", "The trash (true) instead of live threads (false, the default).", ["true", "false"]);
}

/// <summary>Endpoint metadata: the headers of <see cref="ApiHeaders"/> an operation uses.</summary>
/// <param name="Headers">The headers.</param>
public sealed record ApiHeadersMetadata(ApiHeaders Headers);

/// <summary>Endpoint metadata: the operation is a list taking <c>limit</c>, <c>cursor</c>, <c>order</c> and filters.</summary>
/// <param name="Order">The orders it accepts.</param>
/// <param name="Filters">Its filters.</param>
public sealed record ListQueryMetadata(ListOrder Order, IReadOnlyList<ListFilter> Filters);

/// <summary>
/// Describes operations for the OpenAPI document, as endpoint metadata of the local server's routes
/// (the document is built from them under both hosts, see <see cref="OpenApiDocumentSource"/>).
/// </summary>
public static class ApiDescriptions
{
    /// <summary>The request body: JSON of <typeparamref name="T"/>, with the problems a body can cause (400, 408 when it comes too slowly, 413, 415).</summary>
    public static RouteHandlerBuilder Reads<T>(this RouteHandlerBuilder builder)
        where T : notnull =>
        builder.Accepts<T>("application/json").ProducesProblems(
            StatusCodes.Status400BadRequest, StatusCodes.Status408RequestTimeout, StatusCodes.Status413PayloadTooLarge, StatusCodes.Status415UnsupportedMediaType);

    /// <summary>An answer of <typeparamref name="T"/> with <paramref name="status"/> (default 200), as JSON unless told otherwise.</summary>
    public static RouteHandlerBuilder Answers<T>(this RouteHandlerBuilder builder, int status = StatusCodes.Status200OK, string contentType = "application/json") =>
        builder.Produces<T>(status, contentType);

    /// <summary>A 204 answer without a body.</summary>
    public static RouteHandlerBuilder AnswersNoContent(this RouteHandlerBuilder builder) => builder.Produces(StatusCodes.Status204NoContent);

    /// <summary>
    /// A 200 answer of bytes, documented as <c>application/octet-stream</c>: the answer carries the media
    /// type the bytes were stored with (endpoint metadata cannot name a wildcard range).
    /// </summary>
    public static RouteHandlerBuilder AnswersBytes(this RouteHandlerBuilder builder) => builder.Produces<Stream>(StatusCodes.Status200OK, "application/octet-stream");

    /// <summary>problem+json answers with these statuses.</summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, params int[] statuses)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in statuses)
        {
            builder.ProducesProblem(status);
        }

        return builder;
    }

    /// <summary>
    /// The problems any operation of <paramref name="group"/> can answer, by its policy: 429 (rate limits) and 500
    /// always; 401 and 503 (storage not ready) unless it is anonymous; 409 for a write refused during the user's erasure.
    /// Runs last, when each endpoint has its name.
    /// </summary>
    public static void ProducesPolicyProblems(this RouteGroupBuilder group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ((IEndpointConventionBuilder)group).Finally(endpoint =>
        {
            if (endpoint.Metadata.OfType<IEndpointNameMetadata>().SingleOrDefault()?.EndpointName is not { } name)
            {
                return;
            }

            var policy = OperationPolicies.For(name);
            int[] statuses = policy.Anonymous
                ? [StatusCodes.Status429TooManyRequests, StatusCodes.Status500InternalServerError]
                : [StatusCodes.Status401Unauthorized, StatusCodes.Status429TooManyRequests, StatusCodes.Status500InternalServerError, StatusCodes.Status503ServiceUnavailable];
            var isWrite = endpoint.Metadata.OfType<IHttpMethodMetadata>().SelectMany(m => m.HttpMethods).Any(m => !HttpMethods.IsGet(m) && !HttpMethods.IsHead(m));
            if (!policy.Anonymous && !policy.AllowedWhileErasing && isWrite)
            {
                statuses = [.. statuses, StatusCodes.Status409Conflict];
            }

            foreach (var status in statuses)
            {
                endpoint.Metadata.Add(new ProducesResponseTypeMetadata(status, typeof(Microsoft.AspNetCore.Mvc.ProblemDetails), ["application/problem+json"]));
            }
        });
    }

    /// <summary>The headers the operation takes and answers.</summary>
    public static RouteHandlerBuilder WithApiHeaders(this RouteHandlerBuilder builder, ApiHeaders headers) => builder.WithMetadata(new ApiHeadersMetadata(headers));

    /// <summary>The operation is a list: <c>limit</c>, <c>cursor</c>, <c>order</c> and <paramref name="filters"/>.</summary>
    public static RouteHandlerBuilder WithListQuery(this RouteHandlerBuilder builder, ListOrder order, params ListFilter[] filters) =>
        builder.WithMetadata(new ListQueryMetadata(order, filters));
}
