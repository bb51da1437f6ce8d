using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Functions.Conversations;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class TranscriptApiTests : ConversationTestBase
{
    [Theory]
    [InlineData(null, null)]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, br", "br")]
    [InlineData("br;q=0, gzip", "gzip")]
    public async Task Transcript_StreamsEveryMessageAsNdjson_CompressedAsAsked(string? acceptEncoding, string? expectedEncoding)
    {
        var id = await CreateThreadAsync(Alice);
        for (var batch = 0; batch < 3; batch++)
        {
            await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages = Enumerable.Range(0, 90).Select(i => new { role = "user", content = $"m{(batch * 90) + i}" }).ToArray() });
        }

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/threads/{id}/transcript");
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        var response = await Alice.SendAsync(request);
        var raw = await response.Content.ReadAsStreamAsync();
        Stream decoded = response.Content.Headers.ContentEncoding.FirstOrDefault() switch
        {
            "br" => new BrotliStream(raw, CompressionMode.Decompress),
            "gzip" => new GZipStream(raw, CompressionMode.Decompress),
            _ => raw,
        };
        var lines = (await new StreamReader(decoded, Encoding.UTF8).ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expectedEncoding, response.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.Equal(Enumerable.Range(0, 270).Select(i => $"m{i}"), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("content").GetString()!));
        Assert.Equal(Enumerable.Range(1, 270).Select(i => (long)i), lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("sequence").GetInt64()));
    }

    [Fact]
    public async Task Transcript_OfAMissingThread_Is404()
    {
        await ProblemAssert.IsProblemAsync(await Alice.GetAsync("/api/v1/threads/missing/transcript"), HttpStatusCode.NotFound, "not_found");
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("identity", null)]
    [InlineData("GZIP", "gzip")]
    [InlineData("br;q=0", null)]
    [InlineData("deflate, gzip;q=0.5, br;q=1", "br")]
    public void ChooseEncoding_PrefersBrotliThenGzip(string header, string? expected) =>
        Assert.Equal(expected, TranscriptEndpoint.ChooseEncoding(header));
}
