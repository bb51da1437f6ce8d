using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Serverless.Functions.Api.OpenApi;

/// <summary>
/// The OpenAPI document (3.1, JSON), generated once per process by Microsoft.AspNetCore.OpenApi
/// from the local server's route map, which describes every operation. The local server hands its
/// own services; the worker builds the same route map without starting a server (see
/// <see cref="Hosting.LocalServer.BuildRouteMap"/>), so both serve the same document, and it cannot
/// drift from the code.
/// </summary>
/// <param name="routeMap">Gives the services of an app whose endpoints are the local server's routes; called once.</param>
public sealed class OpenApiDocumentSource(Func<IServiceProvider> routeMap)
{
    /// <summary>The document's name (<c>AddOpenApi</c>).</summary>
    public const string DocumentName = "v1";

    private readonly Lazy<Task<string>> json = new(() => GenerateAsync(routeMap));

    /// <summary>The document as JSON.</summary>
    public Task<string> GetJsonAsync() => json.Value;

    private static async Task<string> GenerateAsync(Func<IServiceProvider> routeMap)
    {
        var provider = routeMap().GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName);
        var document = await provider.GetOpenApiDocumentAsync(CancellationToken.None).ConfigureAwait(false);
        using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        document.SerializeAsV31(new OpenApiJsonWriter(writer));
        return writer.ToString();
    }
}
