using System.Text;
using System.Text.Json.Nodes;
using Serverless.Bundles;
using Serverless.Cli.Commands;
using Serverless.Cli.Importers;

namespace Serverless.Tests.Cli;

/// <summary>A bundle an importer wrote, read back with the format library's reader (every check on): lines per kind, blobs, notes.</summary>
public sealed class BundleContent
{
    private BundleContent(BundleManifest manifest, Dictionary<string, List<JsonObject>> lines, Dictionary<string, byte[]> blobs, JsonObject conversion)
    {
        Manifest = manifest;
        Lines = lines;
        Blobs = blobs;
        Conversion = conversion;
    }

    public BundleManifest Manifest { get; }

    public Dictionary<string, List<JsonObject>> Lines { get; }

    public Dictionary<string, byte[]> Blobs { get; }

    /// <summary>What the import command reports about the conversion (kinds, notes).</summary>
    public JsonObject Conversion { get; }

    public List<JsonObject> Of(string kind) => Lines.TryGetValue(kind, out var list) ? list : [];

    public IEnumerable<string> Notes => Conversion["notes"]!.AsArray().Select(n => $"{n!["source"]}: {n["reason"]}");

    /// <summary>The text a <c>…File</c> member names.</summary>
    public string Text(string file) => Encoding.UTF8.GetString(Blobs[file]);

    /// <summary>Runs <paramref name="importer"/> into a bundle file and reads it back; v1 kinds are also parsed as the server's line types.</summary>
    public static async Task<BundleContent> OfAsync(IAppImporter importer, string folder)
    {
        var file = Path.Combine(folder, $"bundle-{Guid.NewGuid():N}.zip");
        var conversion = await ImportCommand.ConvertAsync(importer, file, default);
        await using var stream = File.OpenRead(file);
        await using var reader = await BundleReader.OpenAsync(stream, BundleCheck.Kinds, BundleLimits.Default, default);
        var lines = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var kind in reader.Manifest.Kinds)
        {
            var list = lines[kind.Kind] = [];
            await foreach (var line in reader.ReadLinesAsync(kind.Kind, default))
            {
                _ = kind.Kind switch
                {
                    BundleKinds.Thread => (object)BundleReader.Parse<ThreadLine>(kind.Kind, line),
                    BundleKinds.Message => BundleReader.Parse<MessageLine>(kind.Kind, line),
                    BundleKinds.Setting => BundleReader.Parse<SettingLine>(kind.Kind, line),
                    _ => line,
                };
                list.Add(JsonNode.Parse(line.Json.Span)!.AsObject());
            }
        }

        var blobs = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var blob in reader.Manifest.Blobs)
        {
            blobs[blob.File] = await reader.ReadBlobAsync(blob.File, long.MaxValue, default);
        }

        return new BundleContent(reader.Manifest, lines, blobs, conversion);
    }
}
