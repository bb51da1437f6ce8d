using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;
using Xunit.Abstractions;

namespace Serverless.Tests.Artifacts;

/// <summary>
/// Artifacts through the built app as a real process (a real Kestrel, no test buffering): a 100 MB upload and download
/// keep the server's working set bounded, and a client that goes away mid-body leaves nothing behind.
/// </summary>
public sealed class ArtifactStreamingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long HundredMegabytes = 100L * 1000 * 1000;

    /// <summary>Generous: the stream holds a 4 MiB block and a few 64 KiB buffers; the rest is garbage the GC has not collected yet.</summary>
    private const long MaxGrowthBytes = 64L * 1024 * 1024;

    private readonly string userTable = Azurite.UniqueName("su");
    private readonly string container = Azurite.UniqueName("sp");
    private ServerProcess server = null!;

    public async Task InitializeAsync()
    {
        var azurite = await Azurite.Shared;
        server = await ServerProcess.StartAsync(new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["Storage__ConnectionString"] = azurite.ConnectionString,
            ["Storage__UserTable"] = userTable,
            ["Storage__DueTable"] = Azurite.UniqueName("sd"),
            ["Storage__ExpiryTable"] = Azurite.UniqueName("se"),
            ["Storage__LifecycleTable"] = Azurite.UniqueName("sl"),
            ["Storage__PayloadContainer"] = container,
            ["Auth__Development__Enabled"] = "true",
            ["Auth__Development__SigningKey"] = ApiFactory.DevelopmentKey,
            ["Artifacts__MaxBytesPerUser"] = "1073741824",
        });
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task AHundredMegabyteUploadAndDownload_GrowTheServersWorkingSetByLessThan64MB()
    {
        using var client = Client("big");
        var warmUp = await UploadAsync(client, new PatternStream(1024 * 1024), 1024 * 1024);
        await DownloadAsync(client, warmUp.Id);

        var (upload, uploadGrowth) = await MeasureAsync(() => UploadAsync(client, new PatternStream(HundredMegabytes), HundredMegabytes));
        var ((bytes, sha256), downloadGrowth) = await MeasureAsync(() => DownloadAsync(client, upload.Id));

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"upload of {HundredMegabytes:N0} bytes: working set grew {uploadGrowth / 1048576.0:0.0} MiB"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"download of {bytes:N0} bytes: working set grew {downloadGrowth / 1048576.0:0.0} MiB"));
        Assert.Equal(HundredMegabytes, bytes);
        Assert.Equal(upload.Sha256, sha256);
        Assert.Equal(PatternStream.Sha256Of(HundredMegabytes), sha256);
        Assert.True(uploadGrowth < MaxGrowthBytes, $"the upload grew the working set by {uploadGrowth} bytes");
        Assert.True(downloadGrowth < MaxGrowthBytes, $"the download grew the working set by {downloadGrowth} bytes");
    }

    [Fact]
    public async Task AClientThatGoesAwayMidBody_LeavesNoRowNoBlob_AndGetsItsQuotaBack()
    {
        const int declared = 9 * 1024 * 1024;
        var user = UserPartition.For("abort");
        using (var socket = new TcpClient())
        {
            await socket.ConnectAsync(IPAddress.Loopback, server.Port);
            var stream = socket.GetStream();
            var head = $"POST /api/v1/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ApiFactory.TokenFor("abort")}\r\n"
                + $"Artifact-Kind: recording\r\nArtifact-Name: cut.bin\r\nContent-Type: application/octet-stream\r\nContent-Length: {declared}\r\n\r\n";
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
            var chunk = new byte[64 * 1024];
            for (var sent = 0; sent < 6 * 1024 * 1024; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk);
            }

            await stream.FlushAsync();
            socket.Client.LingerState = new LingerOption(true, 0);
        }

        var azurite = await Azurite.Shared;
        var table = azurite.Table(userTable);
        var reservations = await EventuallyAsync(async () =>
            (await table.FindAsync(user.Key, UserRowKeys.ArtifactReservations))?.GetString("Reservations") is "[]" ? "released" : null);
        var rows = await table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {user.Key}"));
        var blobs = await azurite.Container(container).ListNamesAsync(user.Key + "/");

        Assert.Equal("released", reservations);
        Assert.Equal([UserRowKeys.ArtifactReservations], rows.Select(r => r.RowKey));
        Assert.Empty(blobs);
        using var client = Client("abort");
        Assert.Empty(JsonDocument.Parse(await client.GetStringAsync("/api/v1/artifacts")).RootElement.GetProperty("data").EnumerateArray());
    }

    private HttpClient Client(string user)
    {
        var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = DecompressionMethods.None })
        {
            BaseAddress = server.BaseAddress,
            Timeout = TimeSpan.FromMinutes(5),
        };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.TokenFor(user));
        return client;
    }

    /// <summary>Runs <paramref name="work"/> and returns how far the server's peak working set (VmHWM) rose above its working set before it.</summary>
    private async Task<(T Result, long Growth)> MeasureAsync<T>(Func<Task<T>> work)
    {
        var pid = server.ProcessId;
        Assert.True(File.Exists($"/proc/{pid}/status"), "needs /proc (Linux)");
        await File.WriteAllTextAsync($"/proc/{pid}/clear_refs", "5");
        var before = Status(pid, "VmRSS");
        var result = await work();
        return (result, Status(pid, "VmHWM") - before);
    }

    private static long Status(int pid, string field)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
    }

    private static async Task<(string Id, string Sha256)> UploadAsync(HttpClient client, Stream content, long length)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/artifacts") { Content = new StreamContent(content, 64 * 1024) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        request.Content.Headers.ContentLength = length;
        request.Headers.Add("Artifact-Kind", "recording");
        request.Headers.Add("Artifact-Name", "big.bin");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var view = JsonDocument.Parse(text).RootElement;
        return (view.GetProperty("id").GetString()!, view.GetProperty("sha256").GetString()!);
    }

    private static async Task<(long Bytes, string Sha256)> DownloadAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/api/v1/artifacts/{id}/content", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static async Task<T?> EventuallyAsync<T>(Func<Task<T?>> probe)
        where T : class
    {
        for (var i = 0; i < 100; i++)
        {
            if (await probe() is { } found)
            {
                return found;
            }

            await Task.Delay(100);
        }

        return null;
    }

    /// <summary>A long stream of pseudo-random bytes (xorshift64, fixed seed), which do not compress, produced as it is read.</summary>
    private sealed class PatternStream(long length) : Stream
    {
        private ulong state = 0x9E3779B97F4A7C15;
        private long position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get => position; set => throw new NotSupportedException(); }

        public static string Sha256Of(long length)
        {
            using var stream = new PatternStream(length);
            return Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            // Whole 8-byte words only (the stream's length is a multiple of 8 in these tests), so the sequence does not depend on read sizes.
            var n = (int)Math.Min(buffer.Length & ~7, length - position);
            for (var i = 0; i < n; i += 8)
            {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                BitConverter.TryWriteBytes(buffer[i..], state);
            }

            position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
