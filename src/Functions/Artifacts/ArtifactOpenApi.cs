using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Serverless.Functions.Artifacts;

/// <summary>
/// What the generator cannot see of the artifact routes, because the operations read it from the request themselves:
/// the upload's metadata headers and raw body, and the download's range, conditional and encoding headers.
/// </summary>
internal static class ArtifactOpenApi
{
    /// <summary>The upload: its <c>Artifact-*</c> headers, and a body of any media type.</summary>
    public static Task DescribeUpload(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        AddHeader(operation, ArtifactUpload.KindHeader, true, "What it is: 1 to 32 of a-z 0-9 . _ - (snapshot, recording, diff, log, export, attachment, ...). Snapshots expire after Artifacts:SnapshotRetention unless starred.");
        AddHeader(operation, ArtifactUpload.NameHeader, true, "Its name (the download's file name): 1 to 255 characters, percent-encoded UTF-8 (encodeURIComponent).");
        AddHeader(operation, ArtifactUpload.ParentHeader, false, "What it belongs to, e.g. thread:t1 or run:r7: 1 to 128 of A-Z a-z 0-9 . _ : -.");
        AddHeader(operation, ArtifactUpload.StarredHeader, false, "true or false (default); a starred artifact does not expire.", "true", "false");
        AddHeader(operation, ArtifactUpload.ExpiresAtHeader, false, "When retention deletes it (ISO 8601, in the future); default: the kind's (snapshots: Artifacts:SnapshotRetention after upload, others never).");
        // Described here rather than with Accepts metadata, which would make routing refuse every other media type.
        operation.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The content as it is (no Content-Encoding), up to Artifacts:MaxUploadBytes, with its own Content-Type (stored and served back; default application/octet-stream).",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["*/*"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Format = "binary" } },
            },
        };
        return Task.CompletedTask;
    }

    /// <summary>The download: range and conditional request headers, and the headers of its answers.</summary>
    public static Task DescribeDownload(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        AddHeader(operation, "Range", false, "One byte range (bytes=first-last, bytes=first-, bytes=-suffix) of the content as uploaded: 206. Several ranges get the whole content (200); a range past the end 416.");
        AddHeader(operation, "If-Range", false, "Serve the range only if the content's ETag is still this one; otherwise the whole content.");
        AddHeader(operation, "If-None-Match", false, "The ETag of a copy the client has: 304 when it is current.");
        AddHeader(operation, "Accept-Encoding", false, "With br (and no Range), content stored Brotli-compressed is sent as stored, with Content-Encoding: br.");
        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is not OpenApiResponse answer)
            {
                continue;
            }

            if (status is "200" or "206" or "304")
            {
                AddResponseHeader(answer, "ETag", "The content's version: its SHA-256, with a .br suffix for the Brotli-encoded representation.");
            }

            if (status is "200" or "206")
            {
                AddResponseHeader(answer, "Content-Disposition", "attachment, with the artifact's name as filename and filename* (RFC 6266, RFC 8187).");
                AddResponseHeader(answer, "Accept-Ranges", "bytes.");
            }

            if (status is "206" or "416")
            {
                AddResponseHeader(answer, "Content-Range", "bytes first-last/length (206), or bytes */length (416).");
            }
        }

        return Task.CompletedTask;
    }

    private static void AddHeader(OpenApiOperation operation, string name, bool required, string description, params string[] values)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Required = required,
            Description = description,
            Schema = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Enum = values.Length == 0 ? null : [.. values.Select(v => (System.Text.Json.Nodes.JsonNode)System.Text.Json.Nodes.JsonValue.Create(v))],
            },
        });
    }

    private static void AddResponseHeader(OpenApiResponse response, string name, string description)
    {
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        response.Headers[name] = new OpenApiHeader { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
    }
}
