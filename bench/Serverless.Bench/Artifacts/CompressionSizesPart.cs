using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Serverless.Bench.Conversations;

namespace Serverless.Bench.Artifacts;

/// <summary>
/// <c>compression</c>: about 1 MiB of each kind of content the clients keep, uploaded through the API; prints what it
/// takes in storage (<c>storedBytes</c> of the artifact's view), how (<c>storedEncoding</c>) and the ratio. The contents
/// are made up but shaped as the real ones: a side-panel snapshot (JSON), a recording (NDJSON events), a diff bundle,
/// a log, chat text, incompressible bytes declared as a PNG, and a real zip of the snapshot.
/// </summary>
internal static class CompressionSizesPart
{
    private const int Target = 1024 * 1024;

    public static async Task RunAsync(RunningApp app)
    {
        var snapshot = Snapshot();
        (string Label, string ContentType, byte[] Content)[] samples =
        [
            ("snapshot json", "application/json", snapshot),
            ("recording ndjson", "application/x-ndjson", Recording()),
            ("diff", "text/x-diff", Diff()),
            ("log", "text/plain", Log()),
            ("chat markdown", "text/markdown", Encoding.ASCII.GetBytes(ChatText.Make(7, Target))),
            ("png (random bytes)", "image/png", ArtifactsSuite.RandomBytes(Target, 11)),
            ("zip of the snapshot", "application/zip", Zip(snapshot)),
        ];

        Figures.Comment("stored ratio = stored bytes / content bytes; br = Brotli as PayloadStore writes it (quality 4), identity = as uploaded.");
        foreach (var (label, contentType, content) in samples)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/artifacts") { Content = new ByteArrayContent(content) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
            request.Headers.Add("Artifact-Kind", "export");
            request.Headers.Add("Artifact-Name", "sample");
            using var response = await app.Client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Created)
            {
                throw new InvalidOperationException($"{label}: upload answered {(int)response.StatusCode}: {text}");
            }

            var view = JsonDocument.Parse(text).RootElement;
            var stored = view.GetProperty("storedBytes").GetInt64();
            Figures.Write($"{label} ({contentType}): bytes", content.Length);
            Figures.Write($"{label} ({contentType}): stored bytes", stored);
            Figures.WriteText($"{label} ({contentType}): stored encoding", view.GetProperty("storedEncoding").GetString()!);
            Figures.Write($"{label} ({contentType}): stored ratio", stored / (double)content.Length, "0.000");
            using var deleted = await app.Client.DeleteAsync($"api/v1/artifacts/{view.GetProperty("id").GetString()}");
        }
    }

    /// <summary>A side panel's state: open threads with their drafts and recent messages, tool panels, settings.</summary>
    private static byte[] Snapshot()
    {
        var random = new Random(1);
        var threads = new List<object>();
        for (var i = 0; JsonSerializer.SerializeToUtf8Bytes(threads).Length < Target; i++)
        {
            threads.Add(new
            {
                id = $"t{i:D5}",
                title = ChatText.Make(i, 40),
                pinned = random.Next(5) == 0,
                updatedAt = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(40_000)),
                draft = random.Next(3) == 0 ? ChatText.Make(i + 1000, random.Next(20, 300)) : null,
                recent = Enumerable.Range(0, 4).Select(m => new { role = m % 2 == 0 ? "user" : "assistant", text = ChatText.Make(i * 10 + m, random.Next(50, 400)), tokens = random.Next(10, 900) }),
                panel = new { tab = random.Next(3) switch { 0 => "files", 1 => "tools", _ => "proofs" }, scroll = random.Next(5000), width = 320 + random.Next(200) },
            });
        }

        return JsonSerializer.SerializeToUtf8Bytes(new { version = 3, savedAt = "2026-11-30T12:00:00Z", threads });
    }

    /// <summary>An event stream: one JSON object per line, as a recording keeps them.</summary>
    private static byte[] Recording()
    {
        var random = new Random(2);
        var lines = new StringBuilder();
        var at = new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);
        string[] kinds = ["token", "token", "token", "tool_call", "tool_result", "cursor", "scroll", "message"];
        for (var i = 0; lines.Length < Target; i++)
        {
            at = at.AddMilliseconds(random.Next(5, 400));
            var kind = kinds[random.Next(kinds.Length)];
            lines.Append(JsonSerializer.Serialize(new
            {
                seq = i,
                at,
                kind,
                data = kind switch
                {
                    "token" => (object)new { text = ChatText.Make(i, random.Next(2, 12)) },
                    "tool_call" => new { tool = "read_file", args = new { path = $"src/module{random.Next(40)}/file{random.Next(200)}.ts" } },
                    "tool_result" => new { ok = true, bytes = random.Next(100_000), excerpt = ChatText.Make(i, 120) },
                    "message" => new { role = "assistant", text = ChatText.Make(i, random.Next(100, 800)) },
                    _ => new { x = random.Next(1920), y = random.Next(1080) },
                },
            })).Append('\n');
        }

        return Encoding.UTF8.GetBytes(lines.ToString());
    }

    /// <summary>A unified diff bundle: hunks of code-like lines, some removed, some added.</summary>
    private static byte[] Diff()
    {
        var random = new Random(3);
        var diff = new StringBuilder();
        for (var file = 0; diff.Length < Target; file++)
        {
            diff.Append($"diff --git a/src/app/component{file}.ts b/src/app/component{file}.ts\nindex {random.Next():x7}..{random.Next():x7} 100644\n");
            diff.Append($"--- a/src/app/component{file}.ts\n+++ b/src/app/component{file}.ts\n");
            for (var hunk = 0; hunk < 4; hunk++)
            {
                var line = random.Next(1, 900);
                diff.Append($"@@ -{line},12 +{line},13 @@ export class Component{file} {{\n");
                for (var l = 0; l < 12; l++)
                {
                    var prefix = l switch { 5 => "-", 6 or 7 => "+", _ => " " };
                    diff.Append(prefix).Append("    ").Append(Code(random, file, l)).Append('\n');
                }
            }
        }

        return Encoding.UTF8.GetBytes(diff.ToString());
    }

    private static string Code(Random random, int file, int line) => random.Next(4) switch
    {
        0 => $"const value{line} = await this.service{file % 7}.load(id, {{ limit: {random.Next(100)} }});",
        1 => $"if (!value{line}) {{ throw new Error('missing {ChatText.Make(file + line, 12).Trim()}'); }}",
        2 => $"this.state = {{ ...this.state, item{line}: value{line}, updatedAt: Date.now() }};",
        _ => $"// {ChatText.Make(file * 31 + line, random.Next(20, 70))}",
    };

    /// <summary>A log: timestamped lines of a few levels and components.</summary>
    private static byte[] Log()
    {
        var random = new Random(4);
        var log = new StringBuilder();
        var at = new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero);
        string[] levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"];
        string[] components = ["agent", "tools", "storage", "http", "scheduler"];
        for (var i = 0; log.Length < Target; i++)
        {
            at = at.AddMilliseconds(random.Next(1, 2000));
            log.Append(at.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(levels[random.Next(levels.Length)]).Append(" [").Append(components[random.Next(components.Length)]).Append("] ")
                .Append(ChatText.Make(i, random.Next(30, 160))).Append(" request_id=").Append(random.Next().ToString("x8", System.Globalization.CultureInfo.InvariantCulture))
                .Append(" ms=").Append(random.Next(1, 3000)).Append('\n');
        }

        return Encoding.UTF8.GetBytes(log.ToString());
    }

    private static byte[] Zip(byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            using var entry = zip.CreateEntry("snapshot.json", CompressionLevel.Optimal).Open();
            entry.Write(content);
        }

        return buffer.ToArray();
    }
}
