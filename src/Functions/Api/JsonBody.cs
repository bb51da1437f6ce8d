using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;
using Microsoft.Extensions.Options;
using JsonOptions = Microsoft.AspNetCore.Http.Json.JsonOptions;

namespace Serverless.Functions.Api;

/// <summary>
/// The one way a request's JSON body is read, by the local server (through the body types'
/// <c>BindAsync</c>) and by every function alike, so both hosts give the same 400/413/415 problems
/// and no framework message reaches a client. A body is checked whole before it is bound, so nothing
/// is written for a body that fails: it must be <c>application/json</c> (415), within the body limit
/// (413, enforced by <see cref="ApiPipeline"/> on the stream read here), valid UTF-8, valid JSON, and
/// free of lone UTF-16 surrogates in escaped strings (400 <c>malformed_json</c>), which could be
/// neither stored nor returned as valid text, and without fields the body type does not declare
/// (400 <c>validation_failed</c> naming each).
/// </summary>
public static class JsonBody
{
    /// <summary>Nesting deeper than this is refused; no API body needs more.</summary>
    public const int MaxDepth = 64;

    /// <summary>Reads the body as <typeparamref name="T"/> with the app's JSON options (those of the responses).</summary>
    /// <exception cref="RequestBodyException">The body is not acceptable; the exception says how to answer.</exception>
    public static async ValueTask<T> ReadAsync<T>(HttpRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!IsJson(request.ContentType))
        {
            throw new RequestBodyException(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "The body must be application/json.", null);
        }

        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
        var json = buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
        Check(json.Span);

        var options = request.HttpContext.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        T? value;
        try
        {
            using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = MaxDepth });
            var unknown = new Dictionary<string, string[]>(StringComparer.Ordinal);
            FindUnknownFields(document.RootElement, options.GetTypeInfo(typeof(T)), string.Empty, unknown);
            if (unknown.Count > 0)
            {
                throw new RequestBodyException(StatusCodes.Status400BadRequest, ProblemCodes.ValidationFailed, "The request is invalid.",
                    "The body has fields this request does not take; see 'errors'.", unknown);
            }

            value = document.Deserialize<T>(options);
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }

        return value ?? throw new RequestBodyException(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, MalformedTitle, "The body must be a JSON object, not null.");
    }

    /// <summary>Whether a Content-Type names JSON: <c>application/json</c> or <c>application/*+json</c>, any parameters.</summary>
    internal static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || !Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return false;
        }

        var type = media.MediaType.Value ?? string.Empty;
        return type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
    }

    private const string MalformedTitle = "The body is not valid JSON of the expected shape.";

    /// <summary>The whole body, before binding: UTF-8, JSON syntax, and every escaped string decodable to valid UTF-16.</summary>
    private static void Check(ReadOnlySpan<byte> json)
    {
        if (!Utf8.IsValid(json))
        {
            throw new RequestBodyException(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, MalformedTitle, "The body is not valid UTF-8.");
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = MaxDepth });
        try
        {
            while (reader.Read())
            {
                // Unescaping checks that \uD8xx escapes pair up; unescaped text was checked as UTF-8 above.
                if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName && reader.ValueIsEscaped)
                {
                    try
                    {
                        _ = reader.GetString();
                    }
                    catch (InvalidOperationException)
                    {
                        throw new RequestBodyException(StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, MalformedTitle,
                            $"A string escapes a lone UTF-16 surrogate (the string at byte {reader.TokenStartIndex + 1}).");
                    }
                }
            }
        }
        catch (JsonException e)
        {
            throw Malformed(e);
        }
    }

    /// <summary>
    /// The one rule for fields no request type declares, on every route: they are refused, never silently dropped (a
    /// misspelt field would otherwise look accepted). Checked against the body type's own JSON contract, into nested
    /// objects and arrays of objects; free-form JSON (<see cref="JsonElement"/> values such as metadata, payload or a
    /// setting's value) and dictionaries (mission headers) take any member.
    /// </summary>
    private static void FindUnknownFields(JsonElement element, JsonTypeInfo type, string path, Dictionary<string, string[]> unknown)
    {
        switch (type.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                var comparison = type.Options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
                foreach (var property in element.EnumerateObject())
                {
                    var field = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                    if (type.Properties.FirstOrDefault(p => string.Equals(p.Name, property.Name, comparison)) is { } known)
                    {
                        FindUnknownFields(property.Value, type.Options.GetTypeInfo(known.PropertyType), field, unknown);
                    }
                    else
                    {
                        unknown[field] = [$"Unknown field; this object takes {string.Join(", ", type.Properties.Select(p => p.Name))}."];
                    }
                }

                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && type.ElementType is { } itemType:
                var items = type.Options.GetTypeInfo(itemType);
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    FindUnknownFields(item, items, $"{path}[{index++}]", unknown);
                }

                break;
        }
    }

    /// <summary>The reader's position helps a client find its mistake; its message names no server internals.</summary>
    private static RequestBodyException Malformed(JsonException json) => new(
        StatusCodes.Status400BadRequest,
        ProblemCodes.MalformedJson,
        MalformedTitle,
        json.Path is { Length: > 0 } path ? $"Invalid JSON at {path} (line {json.LineNumber + 1}, byte {json.BytePositionInLine + 1})."
        : json.LineNumber is { } line ? $"Invalid JSON (line {line + 1}, byte {json.BytePositionInLine + 1})." : "Invalid JSON.");
}

/// <summary>A request body that cannot be accepted; the API's error boundary answers it as a problem.</summary>
/// <param name="status">The status to answer (400, 413 or 415).</param>
/// <param name="code">The problem's <see cref="ProblemCodes">code</see>.</param>
/// <param name="title">The problem's title.</param>
/// <param name="detail">What is wrong, for the client; never server internals.</param>
/// <param name="errors">The failing fields, for a <c>validation_failed</c> problem.</param>
public sealed class RequestBodyException(int status, string code, string title, string? detail, IDictionary<string, string[]>? errors = null) : Exception(detail ?? title)
{
    /// <summary>The failing fields, or null.</summary>
    public IDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>The status to answer.</summary>
    public int Status { get; } = status;

    /// <summary>The problem code.</summary>
    public string Code { get; } = code;

    /// <summary>The problem title.</summary>
    public string Title { get; } = title;

    /// <summary>The problem detail.</summary>
    public string? Detail { get; } = detail;
}
