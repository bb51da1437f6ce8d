using System.IO.Compression;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Serverless.Functions.Api;
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

    /// <summary>
    /// The most a streamed transcript may weigh over the same NDJSON compressed in one go at the server's level
    /// (Brotli quality ContentCoding.BrotliQuality, gzip CompressionLevel.Fastest). Flushed 64 KiB units cost
    /// under 1 % here; one write and flush per message (at Brotli quality 1) cost 1.9 times the size.
    /// </summary>
    private const double MaxSizeOverOneShot = 1.05;

    [Theory]
    [InlineData("br")]
    [InlineData("gzip")]
    public async Task Transcript_Compressed_IsWithinAFactorOfOneShotCompressionOfTheSameBytes(string encoding)
    {
        var id = await CreateThreadAsync(Alice);
        for (var batch = 0; batch < 4; batch++)
        {
            var messages = Enumerable.Range(batch * 97, 97).Select(i => new { role = i % 2 == 0 ? "user" : "assistant", content = ChatLikeText.Make(i, 400 + (i * 37 % 1600)) });
            await JsonOf(await Alice.PostAsJsonAsync($"/api/v1/threads/{id}/messages/batch", new { messages }), HttpStatusCode.Created);
        }

        var (wire, ndjson) = await TranscriptAsync(id, encoding);
        var oneShot = Compress(ndjson, encoding);

        Assert.Equal(388, ndjson.Count(b => b == (byte)'\n'));
        Assert.True(ndjson.Length > 350_000, $"transcript of {ndjson.Length} bytes");
        Assert.True(wire.Length <= oneShot.Length * MaxSizeOverOneShot && wire.Length < ndjson.Length * 2 / 3,
            $"{encoding}: streamed {wire.Length} bytes, one-shot {oneShot.Length} bytes ({(double)wire.Length / oneShot.Length:0.00}x) of {ndjson.Length} bytes of NDJSON");
    }

    [Fact]
    public async Task Transcript_RoundTripsExactly_InEveryEncoding()
    {
        var id = await CreateThreadAsync(Alice);
        string[] contents =
        [
            "plain",
            "unicode: \u00e9\u00e8 \u4e2d\u6587 \U0001F600 and \"quotes\", \\ backslashes,\n newlines\ttabs",
            ChatLikeText.Make(1, 40_000), // offloaded to a blob
            ChatLikeText.Make(2, 70_000), // larger than one flush unit on its own
            string.Concat(Enumerable.Repeat("<tag attr='x'>&amp;</tag>", 400)),
            "",
        ];
        foreach (var content in contents)
        {
            await AppendAsync(Alice, id, content);
        }

        var (_, identity) = await TranscriptAsync(id, null);
        var (_, br) = await TranscriptAsync(id, "br");
        var (_, gzip) = await TranscriptAsync(id, "gzip");

        Assert.Equal(identity, br);
        Assert.Equal(identity, gzip);
        var lines = Encoding.UTF8.GetString(identity).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(contents, lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("content").GetString()!));
        Assert.EndsWith("\n", Encoding.UTF8.GetString(identity), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("", null)]
    [InlineData("identity", null)]
    [InlineData("deflate", null)]
    [InlineData("gzip", "gzip")]
    [InlineData("GZIP", "gzip")]
    [InlineData("x-gzip", "gzip")]
    [InlineData("br", "br")]
    [InlineData("gzip, br", "br")]
    [InlineData("br, gzip", "br")]
    [InlineData("br;q=0", null)]
    [InlineData("br;q=0.000, gzip;q=0", null)]
    [InlineData("br;q=0, gzip", "gzip")]
    [InlineData("br;q=0.5, gzip", "gzip")]
    [InlineData("gzip;q=1, br;q=0.999", "gzip")]
    [InlineData("gzip;q=0.8, br;q=0.9", "br")]
    [InlineData("br; q=0.5, gzip; Q=0.6", "gzip")]
    [InlineData("br;q=1.0, gzip;q=1", "br")]
    [InlineData("deflate, gzip;q=0.5, br;q=1", "br")]
    [InlineData("identity;q=1, br;q=0.5", null)]
    [InlineData("identity, gzip;q=0.5", null)]
    [InlineData("identity;q=0.1, gzip;q=0.5", "gzip")]
    [InlineData("*", "br")]
    [InlineData("*;q=0.5, gzip;q=0.8", "gzip")]
    [InlineData("*, br;q=0", "gzip")]
    [InlineData("*, br;q=0, gzip;q=0", null)]
    [InlineData("*;q=0", null)]
    [InlineData("br;q=2, gzip", "gzip")]
    [InlineData("br;q=abc, gzip;q=0.1", "gzip")]
    [InlineData("br;level=5, gzip;q=0.1", "br")]
    [InlineData(" , ;q=1, br", "br")]
    public void ChooseEncoding_TakesTheHighestQ_TiesPreferBrThenGzipThenIdentity(string? header, string? expected) =>
        Assert.Equal(expected, ContentCoding.Choose(header ?? string.Empty));

    /// <summary>The transcript as sent and as NDJSON after decoding (identity when <paramref name="encoding"/> is null).</summary>
    private async Task<(byte[] Wire, byte[] Ndjson)> TranscriptAsync(string id, string? encoding)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/threads/{id}/transcript");
        if (encoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", encoding);
        }

        var response = await Alice.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(encoding, response.Content.Headers.ContentEncoding.FirstOrDefault());
        var wire = await response.Content.ReadAsByteArrayAsync();
        using Stream decoder = encoding switch
        {
            "br" => new BrotliStream(new MemoryStream(wire), CompressionMode.Decompress),
            "gzip" => new GZipStream(new MemoryStream(wire), CompressionMode.Decompress),
            _ => new MemoryStream(wire),
        };
        using var ndjson = new MemoryStream();
        await decoder.CopyToAsync(ndjson);
        return (wire, ndjson.ToArray());
    }

    private static byte[] Compress(byte[] data, string encoding)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding == "br"
            ? new BrotliStream(output, new BrotliCompressionOptions { Quality = ContentCoding.BrotliQuality })
            : new GZipStream(output, CompressionLevel.Fastest))
        {
            compressor.Write(data);
        }

        return output.ToArray();
    }
}
