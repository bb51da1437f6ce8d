using System.Text.Json;

namespace Serverless.Storage.Lifecycle;

/// <summary>How much of one kind of user data: rows and their bytes in the table, blobs and their bytes in the container.</summary>
/// <param name="Kind">The <see cref="UserDataKind.Name"/>.</param>
/// <param name="Rows">Rows.</param>
/// <param name="RowBytes">The rows' size as the Table service counts it (<see cref="Tables.EntityLimits.SizeOf"/>).</param>
/// <param name="Blobs">Blobs.</param>
/// <param name="BlobBytes">The blobs' stored (compressed) bytes.</param>
public sealed record KindCount(string Kind, long Rows, long RowBytes, long Blobs, long BlobBytes);

/// <summary>Counts per kind, added to as rows and blobs are seen or deleted; thread-safe.</summary>
public sealed class KindTally
{
    private readonly Dictionary<string, long[]> counts = new(StringComparer.Ordinal);

    /// <summary>Counts one row.</summary>
    public void AddRow(string kind, long bytes) => Add(kind, 1, bytes, 0, 0);

    /// <summary>Counts one blob.</summary>
    public void AddBlob(string kind, long bytes) => Add(kind, 0, 0, 1, bytes);

    /// <summary>Adds another tally's counts.</summary>
    public void Add(IEnumerable<KindCount> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        foreach (var c in other)
        {
            Add(c.Kind, c.Rows, c.RowBytes, c.Blobs, c.BlobBytes);
        }
    }

    /// <summary>The counts, in the registry's order of kinds (then any others by name).</summary>
    public IReadOnlyList<KindCount> ToList()
    {
        lock (counts)
        {
            var order = UserDataKinds.All.Select((k, i) => (k.Name, i)).ToDictionary(x => x.Name, x => x.i, StringComparer.Ordinal);
            return counts
                .OrderBy(c => order.GetValueOrDefault(c.Key, int.MaxValue)).ThenBy(c => c.Key, StringComparer.Ordinal)
                .Select(c => new KindCount(c.Key, c.Value[0], c.Value[1], c.Value[2], c.Value[3]))
                .ToList();
        }
    }

    /// <summary>The counts as JSON (for job rows).</summary>
    public string ToJson() => JsonSerializer.Serialize(ToList(), Json);

    /// <summary>A tally holding the counts of <see cref="ToJson"/>'s output.</summary>
    public static KindTally FromJson(string? json)
    {
        var tally = new KindTally();
        if (!string.IsNullOrEmpty(json))
        {
            tally.Add(JsonSerializer.Deserialize<List<KindCount>>(json, Json) ?? []);
        }

        return tally;
    }

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private void Add(string kind, long rows, long rowBytes, long blobs, long blobBytes)
    {
        lock (counts)
        {
            if (!counts.TryGetValue(kind, out var c))
            {
                counts[kind] = c = new long[4];
            }

            c[0] += rows;
            c[1] += rowBytes;
            c[2] += blobs;
            c[3] += blobBytes;
        }
    }
}
