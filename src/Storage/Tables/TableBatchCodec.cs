using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Azure;

namespace Serverless.Storage.Tables;

/// <summary>
/// The multipart/mixed wire format of entity group transactions (<c>POST /$batch</c>): one
/// changeset of sub-requests out, one part per sub-response (or one error part) back.
/// </summary>
internal static partial class TableBatchCodec
{
    /// <summary>One sub-response: its status, ETag and body (an error body on failure).</summary>
    public sealed record SubResponse(int Status, ETag? ETag, int? ContentId, string Body);

    /// <summary>Writes the request body; returns it with the outer Content-Type.</summary>
    /// <remarks>
    /// Azurite only parses boundaries shaped <c>batch_&lt;id&gt;</c> and <c>changeset_&lt;id&gt;</c>,
    /// absolute sub-request URLs and single-line JSON bodies; Azure accepts the same, so we write that.
    /// </remarks>
    public static (byte[] Body, string ContentType) Write(IReadOnlyList<TableTransactionAction> actions, string tableUrl, Func<string, string, string> entityUrl)
    {
        var batch = "batch_" + Guid.NewGuid().ToString("D");
        var changeset = "changeset_" + Guid.NewGuid().ToString("D");
        var text = new StringBuilder();
        text.Append("--").Append(batch).Append("\r\n");
        text.Append("Content-Type: multipart/mixed; boundary=").Append(changeset).Append("\r\n\r\n");

        for (var i = 0; i < actions.Count; i++)
        {
            var action = actions[i];
            var entity = action.Entity;
            var (method, url, hasBody, ifMatch) = action.Type switch
            {
                TableActionType.Add => ("POST", tableUrl, true, (ETag?)null),
                TableActionType.UpdateReplace => ("PUT", entityUrl(entity.PartitionKey, entity.RowKey), true, action.EffectiveIfMatch),
                TableActionType.UpdateMerge => ("MERGE", entityUrl(entity.PartitionKey, entity.RowKey), true, action.EffectiveIfMatch),
                TableActionType.UpsertReplace => ("PUT", entityUrl(entity.PartitionKey, entity.RowKey), true, null),
                TableActionType.UpsertMerge => ("MERGE", entityUrl(entity.PartitionKey, entity.RowKey), true, null),
                TableActionType.Delete => ("DELETE", entityUrl(entity.PartitionKey, entity.RowKey), false, action.EffectiveIfMatch),
                _ => throw new ArgumentOutOfRangeException(nameof(actions), action.Type, "Unknown transaction action."),
            };

            text.Append("--").Append(changeset).Append("\r\n");
            text.Append("Content-Type: application/http\r\n");
            text.Append("Content-Transfer-Encoding: binary\r\n");
            text.Append("Content-ID: ").Append((i + 1).ToString(CultureInfo.InvariantCulture)).Append("\r\n\r\n");
            text.Append(method).Append(' ').Append(url).Append(" HTTP/1.1\r\n");
            text.Append("Accept: application/json;odata=minimalmetadata\r\n");
            text.Append("DataServiceVersion: 3.0\r\n");
            if (ifMatch is { } etag)
            {
                text.Append("If-Match: ").Append(etag.ToString()).Append("\r\n");
            }

            if (hasBody)
            {
                text.Append("Prefer: return-no-content\r\n");
                text.Append("Content-Type: application/json\r\n\r\n");
                text.Append(Encoding.UTF8.GetString(EntityCodec.Serialize(entity))).Append("\r\n");
            }
            else
            {
                text.Append("\r\n");
            }
        }

        text.Append("--").Append(changeset).Append("--\r\n");
        text.Append("--").Append(batch).Append("--\r\n");
        return (Encoding.UTF8.GetBytes(text.ToString()), "multipart/mixed; boundary=" + batch);
    }

    /// <summary>Reads the sub-responses in order; tolerant of LF or CRLF line ends.</summary>
    public static IReadOnlyList<SubResponse> Parse(string body)
    {
        var responses = new List<SubResponse>();
        var lines = body.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            var statusMatch = StatusLine().Match(lines[i]);
            if (!statusMatch.Success)
            {
                continue;
            }

            var status = int.Parse(statusMatch.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            ETag? etag = null;
            int? contentId = null;
            for (i++; i < lines.Length && lines[i].Length > 0; i++)
            {
                var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
                if (colon <= 0)
                {
                    continue;
                }

                var name = lines[i][..colon].Trim();
                var value = lines[i][(colon + 1)..].Trim();
                if (name.Equals("ETag", StringComparison.OrdinalIgnoreCase))
                {
                    etag = new ETag(value);
                }
                else if (name.Equals("Content-ID", StringComparison.OrdinalIgnoreCase) && int.TryParse(value, CultureInfo.InvariantCulture, out var id))
                {
                    contentId = id;
                }
            }

            var content = new StringBuilder();
            for (i++; i < lines.Length && !lines[i].StartsWith("--", StringComparison.Ordinal); i++)
            {
                content.Append(lines[i]).Append('\n');
            }

            i--;
            responses.Add(new SubResponse(status, etag, contentId, content.ToString().Trim()));
        }

        return responses;
    }

    /// <summary>
    /// The 0-based index of the failed operation. The service prefixes the error message with it
    /// (<c>"1:The specified entity already exists"</c>); Azurite also sends a 1-based Content-ID,
    /// used only when the prefix is missing.
    /// </summary>
    public static int? FailedIndex(string? serviceMessage, int? contentId)
    {
        if (serviceMessage is not null)
        {
            var match = IndexPrefix().Match(serviceMessage);
            if (match.Success)
            {
                return int.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
        }

        return contentId is > 0 ? contentId - 1 : null;
    }

    [GeneratedRegex(@"^HTTP/1\.[01] (\d{3})")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^(\d+):")]
    private static partial Regex IndexPrefix();
}
