using System.Globalization;
using System.Xml;
using Azure;

namespace Serverless.Storage.Blobs;

/// <summary>
/// Reads a List Blobs answer (<c>EnumerationResults</c>) forward-only with <see cref="XmlReader"/>:
/// no DTDs, no external resolution, so a hostile body cannot expand entities or fetch URLs.
/// </summary>
internal static class BlobListParser
{
    private static readonly XmlReaderSettings Settings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        Async = false,
    };

    public static BlobPage Parse(Stream xml)
    {
        var items = new List<BlobItem>();
        string? nextMarker = null;
        using var reader = XmlReader.Create(xml, Settings);
        reader.MoveToContent();
        if (reader.NodeType != XmlNodeType.Element || reader.LocalName != "EnumerationResults")
        {
            throw new XmlException($"Expected <EnumerationResults>, found <{reader.LocalName}>.");
        }

        if (reader.IsEmptyElement)
        {
            return new BlobPage(items, null);
        }

        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            switch (reader.LocalName)
            {
                case "Blobs" when !reader.IsEmptyElement:
                    ReadBlobs(reader, items);
                    break;
                case "NextMarker":
                    var marker = reader.ReadElementContentAsString();
                    nextMarker = string.IsNullOrEmpty(marker) ? null : marker;
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new BlobPage(items, nextMarker);
    }

    private static void ReadBlobs(XmlReader reader, List<BlobItem> items)
    {
        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType == XmlNodeType.Element && reader.LocalName == "Blob" && !reader.IsEmptyElement)
            {
                items.Add(ReadBlob(reader));
            }
            else
            {
                // BlobPrefix (only with a delimiter) and anything newer versions add.
                reader.Skip();
            }
        }

        reader.Read();
    }

    private static BlobItem ReadBlob(XmlReader reader)
    {
        string? name = null;
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            switch (reader.LocalName)
            {
                case "Name":
                    // Names with characters XML cannot carry arrive percent-encoded, flagged Encoded="true".
                    var encoded = reader.GetAttribute("Encoded") == "true";
                    var text = reader.ReadElementContentAsString();
                    name = encoded ? Uri.UnescapeDataString(text) : text;
                    break;
                case "Properties" when !reader.IsEmptyElement:
                    ReadChildren(reader, properties, lowerCaseNames: false);
                    break;
                case "Metadata" when !reader.IsEmptyElement:
                    ReadChildren(reader, metadata, lowerCaseNames: true);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        reader.Read();
        if (name is null)
        {
            throw new XmlException("A <Blob> in the listing has no <Name>.");
        }

        return new BlobItem(
            name,
            properties.TryGetValue("Content-Length", out var length) && long.TryParse(length, NumberStyles.None, CultureInfo.InvariantCulture, out var l) ? l : 0,
            NonEmpty(properties, "Content-Type"),
            NonEmpty(properties, "Content-Encoding"),
            properties.TryGetValue("Etag", out var etag) ? new ETag(etag.Trim('"')) : default,
            properties.TryGetValue("Last-Modified", out var modified) ? BlobResponseHeaders.ParseHttpDate(modified) : default,
            metadata);
    }

    /// <summary>Reads simple <c>&lt;Name&gt;value&lt;/Name&gt;</c> children of the current element into <paramref name="values"/>.</summary>
    private static void ReadChildren(XmlReader reader, Dictionary<string, string> values, bool lowerCaseNames)
    {
        reader.Read();
        while (reader.NodeType != XmlNodeType.EndElement && !reader.EOF)
        {
            if (reader.NodeType != XmlNodeType.Element)
            {
                reader.Read();
                continue;
            }

            var name = lowerCaseNames ? reader.LocalName.ToLowerInvariant() : reader.LocalName;
            if (reader.IsEmptyElement)
            {
                values[name] = string.Empty;
                reader.Read();
            }
            else
            {
                values[name] = reader.ReadElementContentAsString();
            }
        }

        reader.Read();
    }

    private static string? NonEmpty(Dictionary<string, string> properties, string name) =>
        properties.TryGetValue(name, out var value) && !string.IsNullOrEmpty(value) ? value : null;
}
