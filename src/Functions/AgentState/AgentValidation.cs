using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Functions.Api;

namespace Serverless.Functions.AgentState;

/// <summary>The name rules and checks the agent-state resources share.</summary>
public static partial class AgentValidation
{
    /// <summary>Largest JSON object of metadata or event properties, in UTF-8 bytes.</summary>
    public const int MaxSmallObjectBytes = 4096;

    /// <summary>An id: 1 to 64 of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public static bool IsId(string? id) => id is not null && Id().IsMatch(id);

    /// <summary>A lower-case name (collection, kind, event type): a letter, then up to 63 of <c>a-z 0-9 _ . : -</c>.</summary>
    public static bool IsName(string? name) => name is not null && Name().IsMatch(name);

    /// <summary>A status or other short label: 1 to 64 of <c>A-Z a-z 0-9 _ . : -</c>.</summary>
    public static bool IsLabel(string? label) => label is not null && Label().IsMatch(label);

    /// <summary>The message an id failing <see cref="IsId"/> gets.</summary>
    public static string IdRule(string field) => $"{field} must be 1 to 64 characters: letters, digits, '_' or '-'.";

    /// <summary>Adds an error unless <paramref name="value"/> is null or a JSON object of at most <paramref name="maxBytes"/> bytes; returns its JSON text.</summary>
    public static string? SmallObject(Dictionary<string, string[]> errors, string field, JsonElement? value, int maxBytes = MaxSmallObjectBytes)
    {
        if (value is not { } element || element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var json = element.GetRawText();
        if (element.ValueKind != JsonValueKind.Object || Encoding.UTF8.GetByteCount(json) > maxBytes)
        {
            errors[field] = [$"{field} must be a JSON object of at most {maxBytes} bytes."];
            return null;
        }

        return JsonSerializer.Serialize(element);
    }

    /// <summary>Adds an error unless <paramref name="value"/> is absent or any JSON value of at most <paramref name="maxBytes"/> bytes; returns its JSON text (null when absent).</summary>
    public static string? AnyJson(Dictionary<string, string[]> errors, string field, JsonElement? value, int maxBytes)
    {
        if (value is not { } element || element.ValueKind is JsonValueKind.Undefined)
        {
            return null;
        }

        var json = JsonSerializer.Serialize(element);
        if (Encoding.UTF8.GetByteCount(json) > maxBytes)
        {
            errors[field] = [$"{field} must serialize to at most {maxBytes} bytes of JSON."];
            return null;
        }

        return json;
    }

    /// <summary>Adds an error unless a count is absent or from 0 to <paramref name="max"/>.</summary>
    public static void Count(Dictionary<string, string[]> errors, string field, long? value, long max)
    {
        if (value is < 0 || value > max)
        {
            errors[field] = [$"{field} must be from 0 to {max}."];
        }
    }

    /// <summary>Adds an error unless a cost is absent or finite, from 0 to <paramref name="max"/>.</summary>
    public static void Cost(Dictionary<string, string[]> errors, string field, double? value, double max)
    {
        if (value is { } cost && (!double.IsFinite(cost) || cost < 0 || cost > max))
        {
            errors[field] = [$"{field} must be a finite number from 0 to {max}."];
        }
    }

    /// <summary>Adds an error unless a text is absent or at most <paramref name="max"/> characters.</summary>
    public static void Text(Dictionary<string, string[]> errors, string field, string? value, int max)
    {
        if (value is { Length: var length } && length > max)
        {
            errors[field] = [$"{field} must be at most {max} characters."];
        }
    }

    /// <summary>A JSON text as an element for a view (null stays null).</summary>
    public static JsonElement? Element(string? json)
    {
        if (json is null)
        {
            return null;
        }

        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    /// <summary>The 400 for a failed validation, or null when there are no errors.</summary>
    public static IResult? Problem(Dictionary<string, string[]> errors) => errors.Count > 0 ? Problems.Validation(errors) : null;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex Id();

    [GeneratedRegex("^[a-z][a-z0-9_.:-]{0,63}$")]
    private static partial Regex Name();

    [GeneratedRegex("^[A-Za-z0-9_.:-]{1,64}$")]
    private static partial Regex Label();
}
