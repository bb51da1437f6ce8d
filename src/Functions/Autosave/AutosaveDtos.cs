using System.Reflection;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Storage.Autosave;

namespace Serverless.Functions.Autosave;

/// <summary>The body of <c>PUT /api/v1/autosave/{slot}</c>: the state itself, any JSON value but null.</summary>
/// <param name="State">The state as sent.</param>
public sealed record AutosaveState(JsonElement State) : IBindableFromHttpContext<AutosaveState>
{
    /// <summary>Reads the request body through <see cref="JsonBody"/> (the local server's binding; the function calls <see cref="ReadAsync"/>).</summary>
    public static async ValueTask<AutosaveState?> BindAsync(HttpContext context, ParameterInfo parameter) => await ReadAsync(context.Request, context.RequestAborted);

    /// <summary>Reads the request body through <see cref="JsonBody"/>.</summary>
    public static async Task<AutosaveState> ReadAsync(HttpRequest request, CancellationToken cancellationToken) =>
        new(await JsonBody.ReadAsync<JsonElement>(request, cancellationToken));
}

/// <summary>What <c>PUT /api/v1/autosave/{slot}</c> answers: the save, without the state sent (it is saved every few seconds).</summary>
/// <param name="Slot">The slot.</param>
/// <param name="SavedAt">When it was saved (UTC).</param>
/// <param name="ExpiresAt">When the slot expires unless saved again (UTC).</param>
/// <param name="Bytes">The state's size, UTF-8 JSON.</param>
/// <param name="StoredBytes">Its size as stored (compressed).</param>
public sealed record AutosaveSaved(string Slot, DateTimeOffset SavedAt, DateTimeOffset ExpiresAt, long Bytes, long StoredBytes)
{
    /// <summary>Maps a stored record to its API view.</summary>
    public static AutosaveSaved From(AutosaveRecord record, TimeSpan expiry)
    {
        ArgumentNullException.ThrowIfNull(record);
        return new AutosaveSaved(record.Slot, record.SavedAt, record.SavedAt + expiry, record.StateJson.Length, record.StoredBytes);
    }
}

/// <summary>A slot's latest state as <c>GET /api/v1/autosave/{slot}</c> returns it.</summary>
/// <param name="Slot">The slot.</param>
/// <param name="State">The state as saved.</param>
/// <param name="SavedAt">When it was saved (UTC).</param>
/// <param name="ExpiresAt">When the slot expires unless saved again (UTC).</param>
public sealed record AutosaveView(string Slot, JsonElement State, DateTimeOffset SavedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>Maps a stored record to its API view.</summary>
    public static AutosaveView From(AutosaveRecord record, TimeSpan expiry)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var document = JsonDocument.Parse(record.StateJson);
        return new AutosaveView(record.Slot, document.RootElement.Clone(), record.SavedAt, record.SavedAt + expiry);
    }
}
