using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Api.OpenApi;

namespace Serverless.Tests.Testing;

/// <summary>
/// The OpenAPI document as a contract every API test's answers are held to: each answer of an
/// operation must have a documented status, and its JSON body must match the documented schema
/// (JsonSchema.Net, draft 2020-12, as OpenAPI 3.1 defines). <see cref="ApiFactory"/> checks every
/// answer its app gives through <see cref="CheckingStartupFilter"/>, so document and behaviour
/// cannot drift apart.
/// </summary>
public sealed class OpenApiContract
{
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List };
    private readonly Dictionary<string, JsonObject> responsesByOperation = new(StringComparer.Ordinal);
    private readonly JsonObject definitions;
    private readonly ConcurrentDictionary<string, JsonSchema> schemas = new(StringComparer.Ordinal);

    private OpenApiContract(JsonNode document)
    {
        foreach (var (_, path) in document["paths"]!.AsObject())
        {
            foreach (var (_, operation) in path!.AsObject())
            {
                responsesByOperation[operation!["operationId"]!.GetValue<string>()] = operation["responses"]!.AsObject();
            }
        }

        definitions = Rewrite(document["components"]?["schemas"] ?? new JsonObject()).AsObject();
    }

    /// <summary>The contract of a document.</summary>
    public static OpenApiContract Parse(string document) => new(JsonNode.Parse(document)!);

    /// <summary>What is wrong with an answer of <paramref name="operationId"/>; empty when it keeps the contract.</summary>
    public IReadOnlyList<string> Check(string operationId, int status, string? contentType, string? contentEncoding, byte[] body)
    {
        if (!responsesByOperation.TryGetValue(operationId, out var responses))
        {
            return [$"{operationId} is not in the OpenAPI document"];
        }

        var statusText = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (responses[statusText] is not JsonObject response)
        {
            return [$"{operationId} answered {status}, which its OpenAPI description does not list ({string.Join(", ", responses.Select(r => r.Key))})"];
        }

        if (response["content"] is not JsonObject content || body.Length == 0)
        {
            return body.Length > 0 && response["content"] is null ? [$"{operationId} {status} has a body, but none is documented"] : [];
        }

        var mediaType = (contentType ?? string.Empty).Split(';')[0].Trim();
        // Bytes documented as application/octet-stream are served with the media type they were stored with.
        var documented = content[mediaType] as JsonObject;
        if ((documented ?? content["application/octet-stream"]) is not JsonObject media)
        {
            return [$"{operationId} {status} answered {mediaType}, documented: {string.Join(", ", content.Select(c => c.Key))}"];
        }

        // Stored bytes (an artifact, a run's response) are whatever was stored: no schema speaks for them.
        if (documented is null || media["schema"] is not JsonNode schemaNode || contentEncoding is { Length: > 0 })
        {
            return [];
        }

        var schema = schemas.GetOrAdd($"{operationId} {statusText} {mediaType}", _ => Build(schemaNode));
        var text = Encoding.UTF8.GetString(body);
        IEnumerable<string> instances = mediaType switch
        {
            "application/json" or "application/problem+json" => [text],
            "application/x-ndjson" => text.Split('\n', StringSplitOptions.RemoveEmptyEntries),
            _ => [],
        };
        var failures = new List<string>();
        foreach (var instance in instances)
        {
            using var json = JsonDocument.Parse(instance);
            var result = schema.Evaluate(json.RootElement, Evaluation);
            if (!result.IsValid)
            {
                failures.Add($"{operationId} {status} {mediaType} does not match its schema: " + string.Join("; ", ErrorsOf(result).Take(5))
                    + $" — body: {(instance.Length > 1000 ? instance[..1000] + "…" : instance)}");
            }
        }

        return failures;
    }

    private static IEnumerable<string> ErrorsOf(EvaluationResults result) =>
        (result.Errors ?? new Dictionary<string, string>()).Select(e => $"{result.InstanceLocation} ({result.SchemaLocation}) {e.Key}: {e.Value}")
            .Concat((result.Details ?? []).SelectMany(ErrorsOf));

    private JsonSchema Build(JsonNode schema)
    {
        var root = Rewrite(schema) as JsonObject ?? new JsonObject();
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        root["$defs"] = definitions.DeepClone();
        return JsonSchema.FromText(root.ToJsonString());
    }

    /// <summary>A copy whose <c>#/components/schemas/X</c> references point at <c>#/$defs/X</c>.</summary>
    private static JsonNode Rewrite(JsonNode node) =>
        JsonNode.Parse(node.ToJsonString().Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal))!;

    /// <summary>
    /// Wraps the app's whole pipeline: buffers each answer of a named operation, checks it against the
    /// app's own OpenAPI document, and replaces a broken answer with a 500 saying why.
    /// </summary>
    public sealed class CheckingStartupFilter : IStartupFilter
    {
        private static readonly SemaphoreSlim Loading = new(1, 1);
        private static OpenApiContract? shared;

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                var original = context.Response.Body;
                using var buffer = new MemoryStream();
                context.Response.Body = buffer;
                try
                {
                    await nextMiddleware(context);
                }
                finally
                {
                    context.Response.Body = original;
                }

                var bytes = buffer.ToArray();
                var operation = context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
                if (operation is not null && !HttpMethods.IsOptions(context.Request.Method))
                {
                    var contract = await ContractAsync(context.RequestServices);
                    var failures = contract.Check(operation, context.Response.StatusCode, context.Response.ContentType, context.Response.Headers.ContentEncoding.ToString(), bytes);
                    if (failures.Count > 0 && !context.Response.HasStarted)
                    {
                        context.Response.Clear();
                        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                        context.Response.ContentType = "text/plain";
                        bytes = Encoding.UTF8.GetBytes("OpenAPI contract broken: " + string.Join("\n", failures));
                    }
                    else if (failures.Count > 0)
                    {
                        throw new InvalidOperationException("OpenAPI contract broken: " + string.Join("\n", failures));
                    }
                }

                await original.WriteAsync(bytes);
            });
            next(app);
        };

        /// <summary>The app's document, generated once per run (it does not depend on settings).</summary>
        private static async Task<OpenApiContract> ContractAsync(IServiceProvider services)
        {
            if (shared is not null)
            {
                return shared;
            }

            await Loading.WaitAsync();
            try
            {
                return shared ??= Parse(await services.GetRequiredService<OpenApiDocumentSource>().GetJsonAsync());
            }
            finally
            {
                Loading.Release();
            }
        }
    }
}
