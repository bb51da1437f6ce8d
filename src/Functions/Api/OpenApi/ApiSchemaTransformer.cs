using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Serverless.Functions.Api.OpenApi;

/// <summary>
/// Schemas as exact as the answers: the app writes every property of a response, nulls included
/// (<c>DefaultIgnoreCondition.Never</c>), so each response type's properties are all required and
/// no others are allowed; request bodies (the types bound from the body) stay as generated, every
/// property optional. Problems document their <c>code</c>, <c>traceId</c> and <c>errors</c>.
/// </summary>
internal sealed class ApiSchemaTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            DescribeProblem(schema);
        }
        else if (IsResponseType(type) && schema.Properties is { Count: > 0 } properties)
        {
            schema.Required = new HashSet<string>(properties.Keys, StringComparer.Ordinal);
            schema.AdditionalPropertiesAllowed = false;
        }

        return Task.CompletedTask;
    }

    /// <summary>Our own types that are not request bodies (those bind from the body), and list pages.</summary>
    private static bool IsResponseType(Type type) =>
        (type.Assembly == typeof(ApiSchemaTransformer).Assembly || (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(ListPage<>)))
        && !type.GetInterfaces().Any(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IBindableFromHttpContext<>));

    private static void DescribeProblem(OpenApiSchema schema)
    {
        schema.Properties ??= new Dictionary<string, IOpenApiSchema>();
        schema.Properties["code"] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Description = "The stable, machine-readable error code.",
            Enum = [.. typeof(ProblemCodes).GetFields().Where(f => f.IsLiteral).Select(f => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create((string)f.GetRawConstantValue()!))],
        };
        schema.Properties["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Quote it when reporting a fault." };
        schema.Properties["errors"] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "validation_failed: messages per failing field.",
            AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
        };
        schema.Required = new HashSet<string>(["type", "title", "status", "code", "traceId"], StringComparer.Ordinal);
    }
}
