using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Serverless.Bench.Conversations;

/// <summary>The bench's side of the HTTP API: send, read the whole answer, check the status.</summary>
internal static class ApiCalls
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    /// <summary>Sends a request (with a JSON body when given), reads the whole answer and returns it; throws unless the status is <paramref name="expected"/>.</summary>
    public static async Task<byte[]> SendAsync(HttpClient client, HttpMethod method, string path, byte[]? jsonBody, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path);
        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = Json;
        }

        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        var body = await response.Content.ReadAsByteArrayAsync();
        if (response.StatusCode != expected)
        {
            throw new InvalidOperationException($"{method} {path} answered {(int)response.StatusCode}, expected {(int)expected}: {System.Text.Encoding.UTF8.GetString(body)}");
        }

        return body;
    }

    public static Task<byte[]> GetAsync(HttpClient client, string path) => SendAsync(client, HttpMethod.Get, path, null, HttpStatusCode.OK);

    /// <summary>The <c>sequence</c> of each item of a list page's <c>data</c>.</summary>
    public static List<long> Sequences(byte[] page)
    {
        using var document = JsonDocument.Parse(page);
        return document.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("sequence").GetInt64()).ToList();
    }

    /// <summary>Times one call.</summary>
    public static async Task<TimeSpan> TimeAsync(Func<Task> operation)
    {
        var started = Stopwatch.GetTimestamp();
        await operation();
        return Stopwatch.GetElapsedTime(started);
    }
}
