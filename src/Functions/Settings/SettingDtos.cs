using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Users;

namespace Serverless.Functions.Settings;

/// <summary>The body of <c>PUT /api/v1/settings/{namespace}/{key}</c>.</summary>
/// <param name="Value">Any JSON value: object, array, string, number, boolean or null.</param>
public sealed record SettingWrite(JsonElement Value) : IBindableFromHttpContext<SettingWrite>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; functions call it directly).</summary>
    public static async ValueTask<SettingWrite?> BindAsync(HttpContext context, ParameterInfo parameter) => await JsonBody.ReadAsync<SettingWrite>(context.Request, context.RequestAborted);
}

/// <summary>A setting as the API returns it.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The JSON value.</param>
/// <param name="UpdatedAt">When it was last written (UTC).</param>
/// <param name="Unreadable"><c>["value"]</c> when the stored value could not be read (it is then served as null), else null (see <see cref="StoredJson"/>).</param>
public sealed record SettingView(string Namespace, string Key, JsonElement Value, DateTimeOffset UpdatedAt, IReadOnlyList<string>? Unreadable)
{
    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    /// <summary>Maps a stored record to its API view.</summary>
    public static SettingView From(SettingRecord record)
    {
        var read = StoredJson.TryParse(record.ValueJson, out var value);
        return new SettingView(record.Namespace, record.Key, value ?? Null, record.UpdatedAt, StoredJson.Unreadable(("value", read)));
    }
}

/// <summary>One of the user's setting namespaces.</summary>
/// <param name="Namespace">The namespace.</param>
/// <param name="Count">How many settings it holds.</param>
public sealed record SettingNamespaceView(string Namespace, long Count);
