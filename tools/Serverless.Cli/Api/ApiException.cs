using System.Net;
using System.Text.Json;

namespace Serverless.Cli.Api;

/// <summary>An answer of the server that is not a success: its status and its problem+json <c>code</c> and detail.</summary>
public sealed class ApiException : CliException
{
    private ApiException(HttpStatusCode status, string code, string message)
        : base(ExitCodeFor(status), code, message) => Status = status;

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>Reads a failed response's problem (or what there is of it).</summary>
    public static async Task<ApiException> FromResponseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        string code = "http_" + (int)response.StatusCode;
        string detail = response.ReasonPhrase ?? response.StatusCode.ToString();
        try
        {
            using var problem = JsonDocument.Parse(body);
            if (problem.RootElement.ValueKind == JsonValueKind.Object)
            {
                code = problem.RootElement.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : code;
                detail = problem.RootElement.TryGetProperty("detail", out var d) && d.ValueKind == JsonValueKind.String ? d.GetString()!
                    : problem.RootElement.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : detail;
                if (problem.RootElement.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                {
                    detail += " " + string.Join("; ", errors.EnumerateObject().Select(e => $"{e.Name}: {string.Join(", ", e.Value.EnumerateArray().Select(v => v.ToString()))}"));
                }
            }
        }
        catch (JsonException)
        {
            // Not problem+json (a proxy's page): the status says enough.
        }

        return new ApiException(response.StatusCode, code, $"{(int)response.StatusCode} {code}: {detail}");
    }

    /// <summary>The exit code of a status.</summary>
    public static int ExitCodeFor(HttpStatusCode status) => (int)status switch
    {
        401 or 403 => ExitCodes.Auth,
        404 => ExitCodes.NotFound,
        409 or 412 => ExitCodes.Conflict,
        400 or 413 or 415 or 422 => ExitCodes.Validation,
        _ => ExitCodes.Server,
    };
}
