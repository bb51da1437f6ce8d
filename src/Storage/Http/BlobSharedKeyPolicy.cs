using System.Text;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Http;

/// <summary>
/// Signs blob requests with SharedKey (the only scheme Azurite's blob service accepts): the verb,
/// eleven standard headers, every <c>x-ms-*</c> header sorted, and the canonicalized resource with
/// each query parameter on its own line. Runs once per try, after every policy that adds headers.
/// </summary>
internal sealed class BlobSharedKeyPolicy(string accountName, byte[] accountKey) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        request.Headers.SetValue("x-ms-date", SharedKeySigner.Now());

        var contentLength = request.Content is not null && request.Content.TryComputeLength(out var length) && length > 0
            ? length.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : string.Empty;

        var sts = new StringBuilder();
        sts.Append(request.Method.Method).Append('\n');
        sts.Append(Header(request, "Content-Encoding")).Append('\n');
        sts.Append(Header(request, "Content-Language")).Append('\n');
        sts.Append(contentLength).Append('\n');
        sts.Append(Header(request, "Content-MD5")).Append('\n');
        sts.Append(Header(request, "Content-Type")).Append('\n');
        sts.Append('\n'); // Date: we send x-ms-date instead, which is signed among the x-ms- headers.
        sts.Append(Header(request, "If-Modified-Since")).Append('\n');
        sts.Append(Header(request, "If-Match")).Append('\n');
        sts.Append(Header(request, "If-None-Match")).Append('\n');
        sts.Append(Header(request, "If-Unmodified-Since")).Append('\n');
        sts.Append(Header(request, "Range")).Append('\n');
        AppendCanonicalizedHeaders(sts, request);
        AppendCanonicalizedResource(sts, request.Uri.ToUri());

        var signature = SharedKeySigner.Sign(accountKey, sts.ToString());
        request.Headers.SetValue(HttpHeader.Names.Authorization, $"SharedKey {accountName}:{signature}");
    }

    private static string Header(Request request, string name) =>
        request.Headers.TryGetValue(name, out var value) ? value : string.Empty;

    private static void AppendCanonicalizedHeaders(StringBuilder sts, Request request)
    {
        var headers = new List<(string Name, string Value)>();
        foreach (var header in request.Headers)
        {
            if (header.Name.StartsWith("x-ms-", StringComparison.OrdinalIgnoreCase))
            {
                headers.Add((header.Name.ToLowerInvariant(), header.Value.Trim()));
            }
        }

        // Ordinal sort; our metadata names are plain lower-case ASCII so every comparer agrees.
        headers.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        foreach (var (name, value) in headers)
        {
            sts.Append(name).Append(':').Append(value).Append('\n');
        }
    }

    private void AppendCanonicalizedResource(StringBuilder sts, Uri uri)
    {
        sts.Append('/').Append(accountName).Append(uri.AbsolutePath);
        var parameters = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]).ToLowerInvariant();
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            if (!parameters.TryGetValue(name, out var values))
            {
                parameters[name] = values = [];
            }

            values.Add(value);
        }

        foreach (var (name, values) in parameters)
        {
            values.Sort(StringComparer.Ordinal);
            sts.Append('\n').Append(name).Append(':').Append(string.Join(',', values));
        }
    }
}
