using Azure.Data.Tables;

namespace Serverless.Storage.Payloads;

/// <summary>
/// The one way a table row keeps a <see cref="PayloadReference"/>: six columns sharing a prefix
/// (<c>{prefix}Blob</c>, <c>Codec</c>, <c>Type</c>, <c>Bytes</c>, <c>StoredBytes</c>, <c>Sha256</c>),
/// so a row can point at several payloads.
/// </summary>
public static class PayloadColumns
{
    private static readonly string[] Suffixes = ["Blob", "Codec", "Type", "Bytes", "StoredBytes", "Sha256"];

    /// <summary>The column holding the blob name, which says whether a reference is present (what projections select).</summary>
    public static string BlobColumn(string prefix) => prefix + "Blob";

    /// <summary>Stores <paramref name="reference"/> under <paramref name="prefix"/>; null clears the columns.</summary>
    public static void Write(TableEntity entity, string prefix, PayloadReference? reference)
    {
        ArgumentNullException.ThrowIfNull(entity);
        entity[prefix + "Blob"] = reference?.BlobName;
        entity[prefix + "Codec"] = reference?.Codec;
        entity[prefix + "Type"] = reference?.ContentType;
        entity[prefix + "Bytes"] = reference?.RawBytes;
        entity[prefix + "StoredBytes"] = reference?.StoredBytes;
        entity[prefix + "Sha256"] = reference?.Sha256;
    }

    /// <summary>The reference stored under <paramref name="prefix"/>, or null when the row has none.</summary>
    public static PayloadReference? Read(TableEntity entity, string prefix)
    {
        ArgumentNullException.ThrowIfNull(entity);
        return entity.GetString(prefix + "Blob") is { } name
            ? new PayloadReference(
                name,
                entity.GetString(prefix + "Codec") ?? string.Empty,
                entity.GetString(prefix + "Type") ?? "application/octet-stream",
                entity.GetInt64(prefix + "Bytes") ?? 0,
                entity.GetInt64(prefix + "StoredBytes") ?? 0,
                entity.GetString(prefix + "Sha256") ?? string.Empty)
            : null;
    }

    /// <summary>The names of every column a reference under <paramref name="prefix"/> uses.</summary>
    public static IEnumerable<string> Columns(string prefix) => Suffixes.Select(s => prefix + s);
}
