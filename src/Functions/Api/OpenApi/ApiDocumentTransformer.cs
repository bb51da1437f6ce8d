using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Serverless.Functions.Api.OpenApi;

/// <summary>
/// The document as a whole: title, tag descriptions, the bearer security scheme, and one relative
/// server, <c>/</c>: paths start with <c>/api</c>, so the document is the same whichever host and
/// address serve it.
/// </summary>
internal sealed class ApiDocumentTransformer : IOpenApiDocumentTransformer
{
    /// <summary>The security scheme's name in <c>components.securitySchemes</c>.</summary>
    public const string BearerScheme = "bearer";

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Serverless persistence backend",
            Version = "v1",
            Description = "Threads, messages, missions, settings, artifacts, autosave and integrations of AI assistant apps, per signed-in user. Errors are RFC 9457 problem+json with a stable code.",
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };
        document.Servers = [new OpenApiServer { Url = "/", Description = "The host that served this document." }];
        document.Tags = new HashSet<OpenApiTag>(
        [
            new OpenApiTag { Name = "Service", Description = "Health and this document; anonymous." },
            new OpenApiTag { Name = "Settings", Description = "Synced preferences: one JSON value per namespace and key." },
            new OpenApiTag { Name = "Conversations", Description = "Threads, their messages, forks, summaries and transcripts." },
            new OpenApiTag { Name = "Missions", Description = "Scheduled webhooks and their run log." },
            new OpenApiTag { Name = "Artifacts", Description = "Files of any kind (snapshots, recordings, diffs, logs, exports, attachments): streamed upload and download, ranges, quota." },
            new OpenApiTag { Name = "Autosave", Description = "Crash-recovery state, saved every few seconds, kept for a recovery window." },
            new OpenApiTag { Name = "Integrations", Description = "Integration configuration with write-only, encrypted secrets that missions reference." },
            new OpenApiTag { Name = "Memories", Description = "Scoped memories (user, space, app) by namespace and key, with word search." },
            new OpenApiTag { Name = "Runs", Description = "Tool runs, automation runs and agent tasks with validated status moves and counts." },
            new OpenApiTag { Name = "Events", Description = "Batched events and daily usage rollups." },
            new OpenApiTag { Name = "Records", Description = "Typed per-user collections of JSON documents with status, parent, counters and expiry." },
        ]);
        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description = "The user's token from the configured identity provider; its sub is the user id.",
        };
        foreach (var schema in (document.Components.Schemas ?? new Dictionary<string, IOpenApiSchema>()).Values.OfType<OpenApiSchema>())
        {
            AnyJsonMayBeNull(schema);
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A nullable <see cref="System.Text.Json.JsonElement"/> property is generated as <c>oneOf: [null, JsonElement]</c>;
    /// JsonElement's schema accepts any value, null too, so a null matches both and fails <c>oneOf</c>.
    /// Any JSON value, null included, is what such a property holds: keep just that. (Done on the
    /// finished document: the null wrapper is added after the schema transformers have run.)
    /// </summary>
    private static void AnyJsonMayBeNull(OpenApiSchema schema)
    {
        foreach (var (name, property) in (schema.Properties ?? new Dictionary<string, IOpenApiSchema>()).ToList())
        {
            if (property is OpenApiSchema { OneOf: { Count: 2 } alternatives }
                && alternatives.OfType<OpenApiSchemaReference>().FirstOrDefault(a => a.Reference.Id == nameof(System.Text.Json.JsonElement)) is { } any)
            {
                schema.Properties![name] = new OpenApiSchema { Description = any.Description ?? property.Description };
            }
        }
    }
}
