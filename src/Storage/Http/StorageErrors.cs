using System.Text.Json;
using System.Xml;
using Azure;
using Azure.Core;

namespace Serverless.Storage.Http;

/// <summary>
/// The one place that turns a storage error response into a <see cref="StorageException"/>:
/// it reads <c>x-ms-error-code</c>, else the code in the JSON (table) or XML (blob) error body,
/// and the first line of the service's message (request ids and times are dropped).
/// </summary>
public static class StorageErrors
{
    /// <summary>Builds the exception for a failed response to <paramref name="message"/>.</summary>
    internal static StorageException FromResponse(HttpMessage message, string operation)
    {
        var response = message.Response;
        var (code, text) = ReadBody(response);
        if (response.Headers.TryGetValue("x-ms-error-code", out var headerCode) && !string.IsNullOrEmpty(headerCode))
        {
            code = headerCode;
        }

        return Create(response.Status, code, text, operation, WasRetried(message));
    }

    /// <summary>Builds an exception from parts already parsed (used for sub-responses of a batch).</summary>
    internal static StorageException Create(int status, string? code, string? serviceMessage, string operation, bool wasRetried, int? failedIndex = null)
    {
        var described = $"{operation} failed: {status} {code ?? "(no error code)"}";
        if (failedIndex is { } index)
        {
            described += $" at operation {index}";
        }

        if (!string.IsNullOrWhiteSpace(serviceMessage))
        {
            described += $". {serviceMessage}";
        }

        return new StorageException(status, code, described, failedIndex, wasRetried);
    }

    /// <summary>Whether the pipeline sent this message more than once.</summary>
    internal static bool WasRetried(HttpMessage message) => message.ProcessingContext.RetryNumber > 0;

    /// <summary>Reads the error code and the first line of the message from a JSON or XML error body.</summary>
    internal static (string? Code, string? Message) ParseErrorBody(ReadOnlySpan<byte> body)
    {
        var trimmed = body.TrimStart((byte)' ').TrimStart("\r\n\t"u8);
        if (trimmed.IsEmpty)
        {
            return (null, null);
        }

        try
        {
            return trimmed[0] == (byte)'{' ? ParseJson(trimmed) : ParseXml(trimmed);
        }
        catch (Exception e) when (e is JsonException or XmlException or InvalidOperationException)
        {
            // A proxy or load balancer may answer with HTML; the status code still says what happened.
            return (null, null);
        }
    }

    private static (string? Code, string? Message) ReadBody(Response response)
    {
        if (response.ContentStream is null)
        {
            return (null, null);
        }

        try
        {
            return ParseErrorBody(response.Content.ToMemory().Span);
        }
        catch (InvalidOperationException)
        {
            return (null, null);
        }
    }

    private static (string? Code, string? Message) ParseJson(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        if (!root.TryGetProperty("odata.error", out var error) && !root.TryGetProperty("error", out error))
        {
            return (null, null);
        }

        var code = error.TryGetProperty("code", out var c) ? c.GetString() : null;
        string? text = null;
        if (error.TryGetProperty("message", out var m))
        {
            text = m.ValueKind == JsonValueKind.Object && m.TryGetProperty("value", out var v) ? v.GetString() : m.ValueKind == JsonValueKind.String ? m.GetString() : null;
        }

        return (code, FirstLine(text));
    }

    private static (string? Code, string? Message) ParseXml(ReadOnlySpan<byte> body)
    {
        var document = new XmlDocument { XmlResolver = null };
        using (var stream = new MemoryStream(body.ToArray()))
        using (var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit }))
        {
            document.Load(reader);
        }

        var code = document.SelectSingleNode("/Error/Code")?.InnerText;
        var text = document.SelectSingleNode("/Error/Message")?.InnerText;
        return (code, FirstLine(text));
    }

    private static string? FirstLine(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var end = text.IndexOfAny(['\r', '\n']);
        return (end < 0 ? text : text[..end]).Trim();
    }
}
