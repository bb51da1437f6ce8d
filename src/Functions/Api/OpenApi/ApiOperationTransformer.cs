using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Serverless.Functions.Api.OpenApi;

/// <summary>
/// Each operation: its security (none for anonymous operations, per <see cref="OperationPolicies"/>),
/// the conditional and idempotency headers of <see cref="ApiHeadersMetadata"/>, and the list
/// parameters of <see cref="ListQueryMetadata"/>, which the operations read from the request
/// themselves and the generator therefore cannot see.
/// </summary>
internal sealed class ApiOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var name = metadata.OfType<IEndpointNameMetadata>().Single().EndpointName;
        operation.OperationId = name;
        operation.Security = OperationPolicies.For(name).Anonymous
            ? []
            : [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(ApiDocumentTransformer.BearerScheme, context.Document)] = [] }];

        var headers = metadata.OfType<ApiHeadersMetadata>().SingleOrDefault()?.Headers ?? ApiHeaders.None;
        if (headers.HasFlag(ApiHeaders.IfMatch))
        {
            AddParameter(operation, "If-Match", ParameterLocation.Header, "Write only if the resource's current ETag is this one ('*': if it exists); otherwise 412.", String());
        }

        if (headers.HasFlag(ApiHeaders.IfNoneMatch))
        {
            AddParameter(operation, "If-None-Match", ParameterLocation.Header, "'*': create only; 412 if it already exists.", String("*"));
        }

        if (headers.HasFlag(ApiHeaders.IdempotencyKey))
        {
            AddParameter(operation, IdempotencyKeys.Header, ParameterLocation.Header,
                "1 to 128 visible ASCII characters. The same key and body replay the first answer (Idempotent-Replayed: true); another body is 422.", String());
        }

        if (headers.HasFlag(ApiHeaders.SecretsPassphrase))
        {
            AddParameter(operation, Portability.PortabilityPassphrases.Header, ParameterLocation.Header,
                "The passphrase the bundle's integration secrets were sealed under at export (12 to 1,024 printable ASCII characters); kept encrypted until the job ends. Without it (or with another) sealed secrets are not imported: the report's notes name them.", String());
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse answer || !status.StartsWith('2'))
            {
                continue;
            }

            if (headers.HasFlag(ApiHeaders.ETag) && status is "200" or "201")
            {
                AddHeader(answer, "ETag", "The resource's version, for If-Match.");
            }

            if (headers.HasFlag(ApiHeaders.Location) && status is "201" or "202")
            {
                AddHeader(answer, "Location", "Where the resource is.");
            }

            if (headers.HasFlag(ApiHeaders.IdempotencyKey) && status is "201")
            {
                AddHeader(answer, IdempotencyKeys.ReplayedHeader, "'true' when this is the stored answer to an earlier request with the same Idempotency-Key.");
            }
        }

        if (metadata.OfType<ListQueryMetadata>().SingleOrDefault() is { } list)
        {
            AddListParameters(operation, list);
        }

        return Task.CompletedTask;
    }

    private static void AddListParameters(OpenApiOperation operation, ListQueryMetadata list)
    {
        AddParameter(operation, "limit", ParameterLocation.Query, $"Items per page, 1 to {ListQuery.MaxLimit}.", new OpenApiSchema
        {
            Type = JsonSchemaType.Integer,
            Format = "int32",
            Minimum = "1",
            Maximum = ListQuery.MaxLimit.ToString(CultureInfo.InvariantCulture),
            Default = JsonValue.Create(ListQuery.DefaultLimit),
        });
        AddParameter(operation, "cursor", ParameterLocation.Query, "The previous page's nextCursor, unchanged (opaque; bound to the user and this list).", String());
        var (orders, description) = list.Order switch
        {
            ListOrder.AscendingOnly => ((string[])["asc"], "asc only."),
            ListOrder.DescendingOnly => (["desc"], "desc only (newest first)."),
            _ => (["asc", "desc"], "asc (the default) or desc."),
        };
        AddParameter(operation, "order", ParameterLocation.Query, description, String(orders));
        foreach (var filter in list.Filters)
        {
            AddParameter(operation, filter.Name, ParameterLocation.Query, filter.Description, String([.. filter.Values]));
        }
    }

    private static OpenApiSchema String(params string[] values) => new()
    {
        Type = JsonSchemaType.String,
        Enum = values.Length == 0 ? null : [.. values.Select(v => (JsonNode)JsonValue.Create(v))],
    };

    private static void AddParameter(OpenApiOperation operation, string name, ParameterLocation location, string description, OpenApiSchema schema)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter { Name = name, In = location, Required = false, Description = description, Schema = schema });
    }

    private static void AddHeader(OpenApiResponse response, string name, string description)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = String() };
    }
}
