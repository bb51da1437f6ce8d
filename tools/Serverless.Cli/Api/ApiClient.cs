using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Serverless.Cli.Api;

/// <summary>An answer of the server: status, JSON body (or an undefined element) and the headers the tool reads.</summary>
/// <param name="Status">The HTTP status (a success: failures throw <see cref="ApiException"/>).</param>
/// <param name="Body">The JSON body, or an undefined element when there was none.</param>
/// <param name="Location">The <c>Location</c> header, or null.</param>
/// <param name="RetryAfter">The <c>Retry-After</c> delay, or null.</param>
public sealed record ApiAnswer(HttpStatusCode Status, JsonElement Body, string? Location, TimeSpan? RetryAfter);

/// <summary>
/// The one way the tool talks to the server: the HTTP API under <c>/api/v1</c> with the stored bearer token.
/// Failures become <see cref="ApiException"/> (problem+json code and detail) or, when the server cannot be reached,
/// a <see cref="CliException"/> with <see cref="ExitCodes.Server"/>. 429 and 503 are tried again after their
/// <c>Retry-After</c> (at most 3 times); nothing else is retried, as the tool cannot know a write did not happen.
/// </summary>
public sealed class ApiClient : IDisposable
{
    private const int BusyRetries = 3;
    private static readonly TimeSpan MaxBusyWait = TimeSpan.FromSeconds(30);
    private readonly HttpClient http;

    /// <summary>A client for <paramref name="baseUrl"/> with <paramref name="token"/>.</summary>
    public ApiClient(string baseUrl, string token, HttpMessageHandler? handler = null)
    {
        if (!Uri.TryCreate(baseUrl.TrimEnd('/') + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            throw new CliException(ExitCodes.Usage, "invalid_url", $"'{baseUrl}' is not an http(s) URL.");
        }

        http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.BaseAddress = baseAddress;
        // Exports and imports are long; each request still ends (the server bounds its own work per request).
        http.Timeout = TimeSpan.FromMinutes(30);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("assistant-backend-cli", "1"));
    }

    /// <summary>The server's base address.</summary>
    public Uri BaseAddress => http.BaseAddress!;

    /// <summary>GET a JSON resource.</summary>
    public Task<ApiAnswer> GetAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Get, Relative(path)), cancellationToken);

    /// <summary>POST without a body (or with <paramref name="json"/>).</summary>
    public Task<ApiAnswer> PostAsync(string path, string? json, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Post, Relative(path))
        {
            Content = json is null ? null : new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        }, cancellationToken);

    /// <summary>DELETE a resource.</summary>
    public Task<ApiAnswer> DeleteAsync(string path, CancellationToken cancellationToken) =>
        SendAsync(() => new HttpRequestMessage(HttpMethod.Delete, Relative(path)), cancellationToken);

    /// <summary>POST a file as the body with <paramref name="headers"/>, reporting the bytes sent.</summary>
    public Task<ApiAnswer> UploadAsync(
        string path, string file, string contentType, IProgress<long>? progress, IReadOnlyDictionary<string, string>? headers, CancellationToken cancellationToken) =>
        SendAsync(() =>
        {
            var stream = new ProgressStream(File.OpenRead(file), progress);
            var content = new StreamContent(stream, 81920);
            content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
            content.Headers.ContentLength = stream.Length;
            var request = new HttpRequestMessage(HttpMethod.Post, Relative(path)) { Content = content };
            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                request.Headers.Add(name, value);
            }

            return request;
        }, cancellationToken);

    /// <summary>GET a resource's bytes into <paramref name="file"/> (written to a temporary name, then renamed), reporting bytes and the length when known.</summary>
    public async Task<long> DownloadAsync(string path, string file, Action<long, long?>? progress, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(() => new HttpRequestMessage(HttpMethod.Get, Relative(path)), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        var total = response.Content.Headers.ContentLength;
        var temporary = file + ".part";
        long written = 0;
        await using (var source = await response.Content.ReadAsStreamAsync(cancellationToken))
        await using (var target = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            var buffer = new byte[81920];
            int read;
            while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                written += read;
                progress?.Invoke(written, total);
            }
        }

        File.Move(temporary, file, overwrite: true);
        return written;
    }

    /// <inheritdoc/>
    public void Dispose() => http.Dispose();

    private static Uri Relative(string path) => new(path.TrimStart('/'), UriKind.Relative);

    private async Task<ApiAnswer> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var response = await SendRawAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        JsonElement body = default;
        if (text.Length > 0)
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                body = document.RootElement.Clone();
            }
            catch (JsonException)
            {
                throw new CliException(ExitCodes.Server, "unexpected_answer", $"{(int)response.StatusCode} from {response.RequestMessage?.RequestUri}: the body is not JSON.");
            }
        }

        return new ApiAnswer(response.StatusCode, body, response.Headers.Location?.ToString(), RetryAfterOf(response));
    }

    /// <summary>Sends, retrying 429/503 after their Retry-After; a failure status throws <see cref="ApiException"/>.</summary>
    private async Task<HttpResponseMessage> SendRawAsync(Func<HttpRequestMessage> create, HttpCompletionOption completion, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = create();
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, completion, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                throw new CliException(ExitCodes.Server, "server_unreachable", $"Cannot reach {http.BaseAddress}: {e.Message}");
            }
            catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw new CliException(ExitCodes.Server, "timeout", $"{http.BaseAddress} did not answer in time: {e.Message}");
            }

            if (response.IsSuccessStatusCode)
            {
                return response;
            }

            using (response)
            {
                if (attempt < BusyRetries && response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable)
                {
                    var wait = RetryAfterOf(response) ?? TimeSpan.FromSeconds(1 << attempt);
                    await Task.Delay(wait < MaxBusyWait ? wait : MaxBusyWait, cancellationToken);
                    continue;
                }

                throw await ApiException.FromResponseAsync(response, cancellationToken);
            }
        }
    }

    private static TimeSpan? RetryAfterOf(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    /// <summary>A read stream that reports how far it has been read.</summary>
    private sealed class ProgressStream(Stream inner, IProgress<long>? progress) : Stream
    {
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => Advance(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Advance(await inner.ReadAsync(buffer, cancellationToken));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int Advance(int read)
        {
            position += read;
            progress?.Report(position);
            return read;
        }
    }
}
