using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Serverless.Bench.App;
using Serverless.Bench.Conversations;

namespace Serverless.Bench.Artifacts;

/// <summary>
/// <c>transfer</c>: one content of each size uploaded and downloaded through the API (POST /api/v1/artifacts,
/// GET …/content, each read to the end) and through the bare SDK (<c>BlobClient.UploadAsync</c> of a MemoryStream,
/// <c>DownloadStreamingAsync</c> read to the end: one request each way, as the API's; both sides hash what they read), interleaved rep by rep
/// so both sides see the same machine. Figures: the median of each, MB/s, and API time / SDK time. Two content types:
/// random bytes (<c>application/octet-stream</c>, stored as is: the same bytes move on both sides) and chat-like text
/// (<c>text/plain</c>, stored Brotli-compressed: the API's cost includes compressing and inflating it).
/// At 100 MiB the server's working-set growth is measured on the first upload and download of each type.
/// </summary>
internal static class TransferPart
{
    private const int MiB = 1024 * 1024;

    public static async Task RunAsync(ArtifactsDeployment deployment, RunningApp app, int largeReps)
    {
        using var client = app.StreamingClient();
        (string Label, int Bytes, int Reps)[] sizes = [("1 KiB", 1024, 40), ("1 MiB", MiB, 15), ("100 MiB", 100 * MiB, largeReps)];
        (string Label, string ContentType, Func<int, byte[]> Make)[] contents =
        [
            ("octet-stream", "application/octet-stream", n => ArtifactsSuite.RandomBytes(n, n)),
            ("text", "text/plain; charset=utf-8", Text),
        ];

        // Warm-up (not counted): the first request of each kind pays for JIT, connections and table creation.
        foreach (var (_, contentType, make) in contents)
        {
            var warm = make(64 * 1024);
            await SdkUploadAsync(deployment, "warm", warm);
            await SdkDownloadAsync(deployment, "warm");
            var id = await ApiUploadAsync(client, warm, contentType);
            await ApiDownloadAsync(client, id);
            await DeleteAsync(client, id);
        }

        Figures.Comment("ratio = API median / SDK median (1.00 = as fast as the bare SDK; 2.00 = twice the time). MB = 10^6 bytes.");
        foreach (var (contentLabel, contentType, make) in contents)
        {
            foreach (var (sizeLabel, bytes, reps) in sizes)
            {
                Figures.Progress($"transfer {contentLabel} {sizeLabel}: preparing content");
                var content = make(bytes);
                var sha256 = ArtifactsSuite.Sha256(content);
                var sdkUp = new LatencySample();
                var sdkDown = new LatencySample();
                var apiUp = new LatencySample();
                var apiDown = new LatencySample();
                long storedBytes = 0;
                for (var rep = 0; rep < reps; rep++)
                {
                    Figures.Progress($"transfer {contentLabel} {sizeLabel}: rep {rep + 1}/{reps}");
                    var measureMemory = bytes >= 100 * MiB && rep == 0;
                    var apiFirst = rep % 2 == 1;
                    if (!apiFirst)
                    {
                        sdkUp.Add(await TimeAsync(() => SdkUploadAsync(deployment, "blob", content)));
                        sdkDown.Add(await TimeAsync(() => SdkDownloadAsync(deployment, "blob")));
                    }

                    string id = null!;
                    var (upload, uploadGrowth) = await MeasureAsync(app, measureMemory, async () => id = await ApiUploadAsync(client, content, contentType, view => storedBytes = view.GetProperty("storedBytes").GetInt64()));
                    apiUp.Add(upload);
                    var downloaded = (Bytes: 0L, Sha256: string.Empty);
                    var (download, downloadGrowth) = await MeasureAsync(app, measureMemory, async () => downloaded = await ApiDownloadAsync(client, id));
                    apiDown.Add(download);
                    if (downloaded.Bytes != bytes || downloaded.Sha256 != sha256)
                    {
                        throw new InvalidOperationException($"{contentLabel} {sizeLabel}: downloaded {downloaded.Bytes} bytes with another hash");
                    }

                    if (apiFirst)
                    {
                        sdkUp.Add(await TimeAsync(() => SdkUploadAsync(deployment, "blob", content)));
                        sdkDown.Add(await TimeAsync(() => SdkDownloadAsync(deployment, "blob")));
                    }

                    await DeleteAsync(client, id);
                    if (measureMemory)
                    {
                        Figures.Write($"{contentLabel} {sizeLabel}: server working-set growth during the upload MB", uploadGrowth / 1e6, "0.0");
                        Figures.Write($"{contentLabel} {sizeLabel}: server working-set growth during the download MB", downloadGrowth / 1e6, "0.0");
                    }
                }

                var label = $"{contentLabel} {sizeLabel}";
                Figures.Write($"{label}: reps", sdkUp.Count);
                Figures.Write($"{label}: stored bytes", storedBytes);
                Write(label, "upload", bytes, apiUp, sdkUp);
                Write(label, "download", bytes, apiDown, sdkDown);
            }
        }

        Figures.Comment("growth = max(VmHWM after a reset, VmRSS sampled every 20 ms) during the transfer - VmRSS just before it (Server GC, Production).");
    }

    private static void Write(string label, string direction, int bytes, LatencySample api, LatencySample sdk)
    {
        var apiMs = api.Percentile(0.5);
        var sdkMs = sdk.Percentile(0.5);
        Figures.Write($"{label}: {direction} API p50 ms", apiMs, "0.0");
        Figures.Write($"{label}: {direction} SDK p50 ms", sdkMs, "0.0");
        Figures.Write($"{label}: {direction} API MB/s", bytes / 1e6 / (apiMs / 1000), "0.0");
        Figures.Write($"{label}: {direction} SDK MB/s", bytes / 1e6 / (sdkMs / 1000), "0.0");
        Figures.Write($"{label}: {direction} ratio API/SDK", apiMs / sdkMs, "0.00");
    }

    /// <summary>About <paramref name="bytes"/> of chat-like text, in 1 MiB pieces of their own seed so long content does not repeat.</summary>
    private static byte[] Text(int bytes)
    {
        var text = new StringBuilder(bytes);
        for (var seed = 0; text.Length < bytes; seed++)
        {
            text.Append(ChatText.Make(seed, Math.Min(MiB, bytes - text.Length))).Append('\n');
        }

        return Encoding.ASCII.GetBytes(text.ToString(0, bytes));
    }

    private static async Task<TimeSpan> TimeAsync(Func<Task> work)
    {
        var watch = Stopwatch.StartNew();
        await work();
        return watch.Elapsed;
    }

    /// <summary>Times <paramref name="work"/>; with <paramref name="measureMemory"/>, also how far the server's working set rose above what it was just before.</summary>
    private static async Task<(TimeSpan Elapsed, long Growth)> MeasureAsync(RunningApp app, bool measureMemory, Func<Task> work)
    {
        if (!measureMemory)
        {
            return (await TimeAsync(work), 0);
        }

        var pid = app.Process.ProcessId;
        await Task.Delay(500);
        var baseline = ProcessMemory.Read(pid, "VmRSS") ?? throw new InvalidOperationException($"cannot read /proc/{pid}/status");
        var reset = ProcessMemory.TryResetPeak(pid);
        TimeSpan elapsed;
        RssSampler sampler;
        await using (sampler = new RssSampler(pid, TimeSpan.FromMilliseconds(20)))
        {
            elapsed = await TimeAsync(work);
        }

        var peak = Math.Max(reset ? ProcessMemory.Read(pid, "VmHWM") ?? 0 : 0, sampler.Max);
        return (elapsed, peak - baseline);
    }

    private static async Task SdkUploadAsync(ArtifactsDeployment deployment, string name, byte[] content) =>
        await deployment.Baseline.GetBlobClient(name).UploadAsync(new MemoryStream(content, writable: false), overwrite: true);

    private static async Task SdkDownloadAsync(ArtifactsDeployment deployment, string name)
    {
        var download = await deployment.Baseline.GetBlobClient(name).DownloadStreamingAsync();
        await using var body = download.Value.Content;
        await ReadAsync(body);
    }

    private static async Task<string> ApiUploadAsync(HttpClient client, byte[] content, string contentType, Action<JsonElement>? view = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/artifacts") { Content = new ByteArrayContent(content) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.Add("Artifact-Kind", "recording");
        request.Headers.Add("Artifact-Name", "bench.bin");
        using var response = await client.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"upload answered {(int)response.StatusCode}: {text}");
        }

        var root = JsonDocument.Parse(text).RootElement;
        view?.Invoke(root);
        return root.GetProperty("id").GetString()!;
    }

    /// <summary>Reads the content to the end (identity).</summary>
    private static async Task<(long Bytes, string Sha256)> ApiDownloadAsync(HttpClient client, string id)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"api/v1/artifacts/{id}/content");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("identity"));
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"download answered {(int)response.StatusCode}");
        }

        await using var body = await response.Content.ReadAsStreamAsync();
        return await ReadAsync(body);
    }

    /// <summary>Reads a body to the end, hashing it as it comes (both sides of the comparison do the same).</summary>
    private static async Task<(long Bytes, string Sha256)> ReadAsync(Stream body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            total += read;
        }

        return (total, Convert.ToHexStringLower(hash.GetHashAndReset()));
    }

    private static async Task DeleteAsync(HttpClient client, string id)
    {
        using var response = await client.DeleteAsync($"api/v1/artifacts/{id}");
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            throw new InvalidOperationException($"delete answered {(int)response.StatusCode}");
        }
    }
}
