using System.Buffers;
using System.Text.Json;

namespace Serverless.Bundles;

/// <summary>Writes resources as NDJSON lines (<see cref="BundleManifest.JsonOptions"/>) to a stream, reusing one buffer.</summary>
/// <param name="output">Where the lines go (left open).</param>
public sealed class NdjsonLineWriter(Stream output)
{
    private readonly ArrayBufferWriter<byte> line = new();

    /// <summary>Lines written.</summary>
    public long Count { get; private set; }

    /// <summary>Serializes one resource as a line.</summary>
    public async Task WriteAsync<T>(T resource, CancellationToken cancellationToken)
    {
        line.ResetWrittenCount();
        using (var writer = new Utf8JsonWriter(line))
        {
            JsonSerializer.Serialize(writer, resource, BundleManifest.JsonOptions);
        }

        line.Write("\n"u8);
        await output.WriteAsync(line.WrittenMemory, cancellationToken).ConfigureAwait(false);
        Count++;
    }
}
