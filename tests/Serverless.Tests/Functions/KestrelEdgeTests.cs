using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// Protocol edges on the local server's real Kestrel (WebApplicationFactory.UseKestrel), with requests written byte by
/// byte on a socket: what reaches the app is answered as problem+json; what Kestrel answers itself, before any
/// middleware runs, is pinned here as the README documents it (status, empty body).
/// </summary>
public sealed class KestrelEdgeTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private int port;

    public async Task InitializeAsync()
    {
        port = FreePorts.Take(1)[0];
        factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?> { ["Api:MaxRequestBodyBytes"] = "4096" }, localScheduler: false);
        factory.UseKestrel(options =>
        {
            options.ListenLocalhost(port);
            options.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(2);
        });
        factory.StartServer();
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    private static string Token(string user) => ApiFactory.TokenFor(user);

    [Fact]
    public async Task SlowRequestBody_Is408RequestTimeoutProblem_AndWritesNothing()
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            "PUT /api/v1/settings/ui/slow HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n" +
            $"Authorization: Bearer {Token("slow")}\r\nConnection: close\r\n\r\n{{\"value\":\""));
        using var trickle = new CancellationTokenSource();
        var sending = Task.Run(async () =>
        {
            // One byte a second: far below Kestrel's minimum body data rate (240 bytes/s after a 5 s grace period).
            while (!trickle.IsCancellationRequested)
            {
                await Task.Delay(1000, trickle.Token);
                await stream.WriteAsync("x"u8.ToArray(), trickle.Token);
            }
        });

        var response = await RawResponse.ReadAsync(stream, TimeSpan.FromSeconds(30));
        await trickle.CancelAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => sending);

        Assert.Equal(408, response.Status);
        Assert.Equal("request_timeout", response.Problem().GetProperty("code").GetString());
        var client = factory.ClientFor("slow");
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await client.GetAsync("/api/v1/settings/ui/slow")).StatusCode);
    }

    [Fact]
    public async Task NonAsciiHeaderValues_ReachTheApp_AndAreAnsweredByItsRules()
    {
        var health = await SendAsync("GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Note: café ☕\r\nConnection: close\r\n\r\n");
        var badToken = await SendAsync("GET /api/v1/settings/ui HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer tökén\r\nConnection: close\r\n\r\n");
        var badIfMatch = await SendAsync(
            $"DELETE /api/v1/settings/ui/theme HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {Token("ascii")}\r\nIf-Match: \"é\"\r\nConnection: close\r\n\r\n");

        Assert.Equal(200, health.Status);
        Assert.Equal(401, badToken.Status);
        Assert.Equal("unauthorized", badToken.Problem().GetProperty("code").GetString());
        Assert.Equal(412, badIfMatch.Status);
        Assert.Equal("precondition_failed", badIfMatch.Problem().GetProperty("code").GetString());
    }

    [Fact]
    public async Task ChunkedBodyOverTheLimit_Is413Problem_InOurWords()
    {
        var chunk = "{\"value\":\"" + new string('x', 6000) + "\"}";
        var response = await SendAsync(
            $"PUT /api/v1/settings/ui/big HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {Token("big")}\r\nContent-Type: application/json\r\n" +
            $"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n{chunk.Length:x}\r\n{chunk}\r\n0\r\n\r\n");

        Assert.Equal(413, response.Status);
        var problem = response.Problem();
        Assert.Equal("payload_too_large", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("Request body too large", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task JsonAnswers_AreCompressedOnTheRealServer_AndDecodeToTheSameDocument()
    {
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using var decoding = new HttpClient(new HttpClientHandler { AutomaticDecompression = System.Net.DecompressionMethods.Brotli })
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
        };

        var identity = await plain.GetAsync("/api/v1/openapi.json");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/openapi.json");
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "br");
        var raw = await plain.SendAsync(request);
        var decoded = await decoding.GetStringAsync("/api/v1/openapi.json");

        var identityText = await identity.Content.ReadAsStringAsync();
        Assert.Empty(identity.Content.Headers.ContentEncoding);
        Assert.Equal("br", Assert.Single(raw.Content.Headers.ContentEncoding));
        Assert.True((await raw.Content.ReadAsByteArrayAsync()).Length < identityText.Length / 4);
        Assert.Equal(identityText, decoded);
    }

    /// <summary>
    /// Errors Kestrel finds while the app reads the body reach the app as exceptions, so they are answered as problems
    /// and nothing is written: bad chunk framing, and a body that ends before its Content-Length.
    /// </summary>
    [Fact]
    public async Task BodyFramingErrors_FoundWhileTheAppReads_AreProblems_AndWriteNothing()
    {
        var badChunk = await SendAsync(
            $"PUT /api/v1/settings/ui/framing HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {Token("framing")}\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{\"val\r\nzz\r\nue\":1}\r\n0\r\n\r\n");
        var badTrailer = await SendAsync(
            $"PUT /api/v1/settings/ui/framing HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {Token("framing")}\r\nContent-Type: application/json\r\n" +
            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nB\r\n{\"value\":1}XX0\r\n\r\n");

        foreach (var answer in new[] { badChunk, badTrailer })
        {
            Assert.Equal(400, answer.Status);
            Assert.Equal("validation_failed", answer.Problem().GetProperty("code").GetString());
        }

        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await factory.ClientFor("framing").GetAsync("/api/v1/settings/ui/framing")).StatusCode);
    }

    /// <summary>
    /// What Kestrel answers itself, before any middleware runs: no hook lets the app write these bodies, so they stay
    /// empty (README, "Errors answered before the app").
    /// </summary>
    [Fact]
    public async Task BeforeTheApp_KestrelAnswersItself_WithAnEmptyBody()
    {
        var longLine = await SendAsync($"GET /api/health?q={new string('a', 9000)} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        var nulInPath = await SendAsync($"GET /api/v1/settings/ui/%00 HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {Token("nul")}\r\nConnection: close\r\n\r\n");
        var headerWithoutColon = await SendAsync("GET /api/health HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\nConnection: close\r\n\r\n");
        var hugeHeaders = await SendAsync($"GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Big: {new string('h', 40_000)}\r\nConnection: close\r\n\r\n");
        var noHost = await SendAsync("GET /api/health HTTP/1.1\r\nConnection: close\r\n\r\n");
        var badTarget = await SendAsync("GET api/health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        var badVersion = await SendAsync("GET /api/health HTTP/1.2\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        var badLength = await SendAsync("PUT /api/v1/settings/ui/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\nConnection: close\r\n\r\n");
        var notChunked = await SendAsync("PUT /api/v1/settings/ui/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip\r\nConnection: close\r\n\r\n");
        var http10NoLength = await SendAsync("PUT /api/v1/settings/ui/x HTTP/1.0\r\nHost: localhost\r\n\r\n{}");

        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        await tcp.GetStream().WriteAsync("GET /api/health HTTP/1.1\r\nHost: loc"u8.ToArray());
        var slowHeaders = await RawResponse.ReadAsync(tcp.GetStream(), TimeSpan.FromSeconds(30));

        Assert.Equal((414, ""), (longLine.Status, longLine.Body));
        Assert.Equal((400, ""), (nulInPath.Status, nulInPath.Body));
        Assert.Equal((400, ""), (headerWithoutColon.Status, headerWithoutColon.Body));
        Assert.Equal((431, ""), (hugeHeaders.Status, hugeHeaders.Body));
        Assert.Equal((408, ""), (slowHeaders.Status, slowHeaders.Body));
        Assert.Equal((400, ""), (noHost.Status, noHost.Body));
        Assert.Equal((400, ""), (badTarget.Status, badTarget.Body));
        Assert.Equal((505, ""), (badVersion.Status, badVersion.Body));
        Assert.Equal((400, ""), (badLength.Status, badLength.Body));
        Assert.Equal((400, ""), (notChunked.Status, notChunked.Body));
        Assert.Equal((400, ""), (http10NoLength.Status, http10NoLength.Body));
    }

    private async Task<RawResponse> SendAsync(string request)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        return await RawResponse.ReadAsync(stream, TimeSpan.FromSeconds(30));
    }

    private sealed record RawResponse(int Status, string Head, string Body)
    {
        public JsonElement Problem()
        {
            Assert.Contains("Content-Type: application/problem+json", Head, StringComparison.OrdinalIgnoreCase);
            return JsonDocument.Parse(Body).RootElement;
        }

        /// <summary>Reads until the server closes the connection (every request here says Connection: close, or is refused).</summary>
        public static async Task<RawResponse> ReadAsync(NetworkStream stream, TimeSpan timeout)
        {
            using var cancel = new CancellationTokenSource(timeout);
            var bytes = new MemoryStream();
            var buffer = new byte[8192];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer, cancel.Token)) > 0)
                {
                    bytes.Write(buffer, 0, read);
                }
            }
            catch (IOException) when (bytes.Length > 0)
            {
                // A reset after the answer (the server stopped reading a body it refused) ends the answer.
            }

            var text = Encoding.UTF8.GetString(bytes.ToArray());
            var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            Assert.True(split > 0, $"no HTTP answer: '{text}'");
            var head = text[..split];
            var body = text[(split + 4)..];
            if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
            {
                body = Dechunk(body);
            }

            return new RawResponse(int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, body);
        }

        private static string Dechunk(string body)
        {
            var result = new StringBuilder();
            var at = 0;
            while (true)
            {
                var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(body[at..lineEnd], 16);
                if (size == 0)
                {
                    return result.ToString();
                }

                result.Append(body, lineEnd + 2, size);
                at = lineEnd + 2 + size + 2;
            }
        }
    }
}
