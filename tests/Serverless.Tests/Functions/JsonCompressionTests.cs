using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// JSON answers of at least <see cref="JsonCompression.MinBytes"/> go out br or gzip compressed as Accept-Encoding
/// prefers; smaller ones, other media types and what is already encoded (the transcript) go out as they are.
/// </summary>
public sealed class JsonCompressionTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private HttpClient client = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
        {
            ["Api:RateLimit:PermitsPerMinute"] = "1000000",
            ["Api:RateLimit:Burst"] = "1000000",
        });
        client = factory.ClientFor("zipper");
        for (var i = 0; i < 30; i++)
        {
            Assert.True((await client.PutAsJsonAsync($"/api/v1/settings/big/k{i:D2}", new { value = new string((char)('a' + (i % 26)), 100) })).IsSuccessStatusCode);
        }

        Assert.True((await client.PutAsJsonAsync("/api/v1/settings/small/k", new { value = 1 })).IsSuccessStatusCode);
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private async Task<(HttpResponseMessage Response, byte[] Raw, string Text)> GetAsync(string path, string? acceptEncoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }

        var response = await client.SendAsync(request);
        var raw = await response.Content.ReadAsByteArrayAsync();
        Stream decoded = response.Content.Headers.ContentEncoding.SingleOrDefault() switch
        {
            "br" => new BrotliStream(new MemoryStream(raw), CompressionMode.Decompress),
            "gzip" => new GZipStream(new MemoryStream(raw), CompressionMode.Decompress),
            null => new MemoryStream(raw),
            var other => throw new InvalidOperationException($"unexpected Content-Encoding {other}"),
        };
        return (response, raw, await new StreamReader(decoded, Encoding.UTF8).ReadToEndAsync());
    }

    [Theory]
    [InlineData("br", "br")]
    [InlineData("gzip", "gzip")]
    [InlineData("gzip, br", "br")]
    [InlineData("br;q=0.5, gzip;q=0.9", "gzip")]
    [InlineData("identity", null)]
    [InlineData("br;q=0, gzip;q=0", null)]
    [InlineData(null, null)]
    public async Task LargeJson_IsCompressedAsAcceptEncodingPrefers(string? acceptEncoding, string? expected)
    {
        var (plain, _, plainText) = await GetAsync("/api/v1/settings/big?limit=100", null);
        var (response, raw, text) = await GetAsync("/api/v1/settings/big?limit=100", acceptEncoding);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(expected, response.Content.Headers.ContentEncoding.SingleOrDefault());
        Assert.True(plainText.Length > JsonCompression.MinBytes);
        Assert.Equal(JsonDocument.Parse(plainText).RootElement.GetProperty("data").GetArrayLength(), JsonDocument.Parse(text).RootElement.GetProperty("data").GetArrayLength());
        Assert.Equal(plainText, text);
        Assert.Null(plain.Content.Headers.ContentEncoding.SingleOrDefault());
        if (expected is not null)
        {
            Assert.Contains("Accept-Encoding", response.Headers.Vary);
            Assert.True(raw.Length < text.Length / 3, $"{raw.Length} compressed bytes for {text.Length}");
        }
    }

    [Fact]
    public async Task SmallJson_GoesOutAsItIs()
    {
        var (response, raw, text) = await GetAsync("/api/v1/settings/small/k", "br, gzip");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        Assert.True(raw.Length < JsonCompression.MinBytes);
        Assert.Equal(1, JsonDocument.Parse(text).RootElement.GetProperty("value").GetInt32());
    }

    [Fact]
    public async Task LargeProblem_IsCompressedToo()
    {
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/v1/settings/big/x")
        {
            Content = new StringContent("{" + string.Join(",", Enumerable.Range(0, 60).Select(i => $"\"unknownField{i:D2}\":1")) + "}", Encoding.UTF8, "application/json"),
        };
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");

        var response = await client.SendAsync(request);
        var text = await new StreamReader(new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress)).ReadToEndAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("gzip", response.Content.Headers.ContentEncoding.Single());
        Assert.Equal("validation_failed", JsonDocument.Parse(text).RootElement.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Transcript_IsCompressedOnce_ByItsOwnStream()
    {
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/api/v1/threads", new { id = "z" })).StatusCode);
        await client.PostAsJsonAsync("/api/v1/threads/z/messages/batch", new { messages = Enumerable.Range(0, 50).Select(i => new { role = "user", content = $"message {i} " + new string('x', 100) }).ToArray() });

        var (response, _, text) = await GetAsync("/api/v1/threads/z/transcript", "br");

        Assert.Equal("br", Assert.Single(response.Content.Headers.ContentEncoding));
        Assert.Equal(50, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }
}
