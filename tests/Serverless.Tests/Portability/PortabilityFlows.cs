using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Serverless.Bundles;
using Serverless.Storage.Portability;
using Serverless.Storage.Users;
using Serverless.Tests.Lifecycle;

namespace Serverless.Tests.Portability;

/// <summary>Export and import through the API as a client does them (start, poll, download), and what tests compare bundles and rows by.</summary>
internal static class PortabilityFlows
{
    /// <summary>The header an import takes the secrets passphrase in.</summary>
    public const string PassphraseHeader = "Secrets-Passphrase";

    /// <summary>Exports the client's data (with <paramref name="secretsPassphrase"/> in the body when given) and returns the bundle.</summary>
    public static async Task<byte[]> ExportAsync(LifecycleApp app, HttpClient client, string? secretsPassphrase = null) =>
        (await ExportJobAsync(app, client, secretsPassphrase)).Bundle;

    /// <summary>Exports the client's data (with <paramref name="secretsPassphrase"/> in the body when given) and returns the finished job and the bundle.</summary>
    public static async Task<(JsonElement Job, byte[] Bundle)> ExportJobAsync(LifecycleApp app, HttpClient client, string? secretsPassphrase = null)
    {
        var started = secretsPassphrase is null ? await client.PostAsync("/api/v1/me/export", null) : await client.PostAsJsonAsync("/api/v1/me/export", new { secretsPassphrase });
        var job = await LifecycleApp.JsonAsync(started, HttpStatusCode.Accepted);
        var location = started.Headers.Location!.ToString();
        while (job.GetProperty("state").GetString() is not ("done" or "failed"))
        {
            await app.RunJobsAsync();
            job = await LifecycleApp.JsonAsync(await client.GetAsync(location), HttpStatusCode.OK);
        }

        Assert.Equal("done", job.GetProperty("state").GetString());
        var download = await client.GetAsync(job.GetProperty("download").GetString());
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal("application/zip", download.Content.Headers.ContentType?.MediaType);
        return (job, await download.Content.ReadAsByteArrayAsync());
    }

    /// <summary>Imports a bundle (with the passphrase header when given) and returns the finished job.</summary>
    public static async Task<JsonElement> ImportAsync(LifecycleApp app, HttpClient client, byte[] bundle, string conflict = "skip", string? secretsPassphrase = null)
    {
        var started = await PostAsync(client, bundle, conflict, secretsPassphrase);
        var job = await LifecycleApp.JsonAsync(started, HttpStatusCode.Accepted);
        var location = started.Headers.Location!.ToString();
        while (job.GetProperty("state").GetString() is not ("done" or "failed"))
        {
            await app.RunJobsAsync();
            job = await LifecycleApp.JsonAsync(await client.GetAsync(location), HttpStatusCode.OK);
        }

        return job;
    }

    /// <summary>POSTs a bundle to the import route.</summary>
    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, byte[] bundle, string conflict = "skip", string? secretsPassphrase = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/me/import?conflict={conflict}") { Content = new ByteArrayContent(bundle) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/zip");
        if (secretsPassphrase is not null)
        {
            request.Headers.Add(PassphraseHeader, secretsPassphrase);
        }

        return await client.SendAsync(request);
    }

    /// <summary>A job's report per kind.</summary>
    public static Dictionary<string, (long Imported, long Skipped, long Failed)> Report(JsonElement job) =>
        job.GetProperty("report").EnumerateArray().ToDictionary(
            k => k.GetProperty("kind").GetString()!,
            k => (k.GetProperty("imported").GetInt64(), k.GetProperty("skipped").GetInt64(), k.GetProperty("failed").GetInt64()));

    /// <summary>One kind's failures or notes as "id: reason".</summary>
    public static List<string> Issues(JsonElement job, string kind, string which) =>
        [.. job.GetProperty("report").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == kind).GetProperty(which).EnumerateArray()
            .Select(i => $"{i.GetProperty("id").GetString()}: {i.GetProperty("reason").GetString()}")];

    /// <summary>Two bundles hold the same content: per kind the same count, bytes and SHA-256, and the same blobs, each checked.</summary>
    public static async Task AssertSameContentAsync(byte[] first, byte[] second)
    {
        var known = PortableKinds.BundleKindNames;
        await using var a = await BundleReader.OpenAsync(new MemoryStream(first), known, BundleLimits.Default, default);
        await using var b = await BundleReader.OpenAsync(new MemoryStream(second), known, BundleLimits.Default, default);
        Assert.Equal(a.Manifest.Kinds.Select(k => (k.Kind, k.Count, k.Bytes, k.Sha256)), b.Manifest.Kinds.Select(k => (k.Kind, k.Count, k.Bytes, k.Sha256)));
        Assert.Equal(a.Manifest.Blobs.Select(x => x.Sha256).Order(), b.Manifest.Blobs.Select(x => x.Sha256).Order());
        await a.VerifyBlobsAsync(default);
        await b.VerifyBlobsAsync(default);
    }

    /// <summary>The lines of one kind of a bundle, as JSON.</summary>
    public static async Task<List<JsonElement>> LinesAsync(byte[] bundle, string kind)
    {
        await using var reader = await BundleReader.OpenAsync(new MemoryStream(bundle), PortableKinds.BundleKindNames, BundleLimits.Default, default);
        var lines = new List<JsonElement>();
        await foreach (var line in reader.ReadLinesAsync(kind, default))
        {
            lines.Add(JsonDocument.Parse(line.Json).RootElement.Clone());
        }

        return lines;
    }

    /// <summary>A user's rows but its jobs and idempotency records, each with every column but the version.</summary>
    public static List<string> Snapshot(List<TableEntity> rows) =>
        [.. rows.Where(r => !r.RowKey.StartsWith(UserRowKeys.Portability + "|", StringComparison.Ordinal) && !r.RowKey.StartsWith("idem|", StringComparison.Ordinal))
            .Select(r => r.RowKey + " " + string.Join(",", r.Where(p => p.Key is not ("odata.etag" or "Timestamp")).OrderBy(p => p.Key)
                .Select(p => $"{p.Key}={(p.Value is byte[] bytes ? Convert.ToHexString(bytes) : p.Value)}")))];

    /// <summary>A bundle of the given lines, each kind's lines in the order given, and blob files.</summary>
    public static async Task<byte[]> BundleAsync(IEnumerable<(string Kind, object Line)> lines, params byte[][] blobs)
    {
        using var zip = new MemoryStream();
        await using (var writer = await BundleWriter.CreateAsync(zip, new BundleSource("test"), DateTimeOffset.UnixEpoch, default))
        {
            foreach (var group in lines.GroupBy(l => l.Kind))
            {
                await using var kind = await writer.OpenKindAsync(group.Key, default);
                foreach (var (_, line) in group)
                {
                    await kind.WriteAsync(line, default);
                }

                await kind.CompleteAsync(default);
            }

            foreach (var blob in blobs)
            {
                await writer.AddBlobAsync(BundleFormat.Sha256Hex(blob), new MemoryStream(blob), default);
            }

            await writer.CompleteAsync(default);
        }

        return zip.ToArray();
    }

    /// <summary>Asserts a success answer, showing the body otherwise.</summary>
    public static async Task<JsonElement> OkAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }
}
