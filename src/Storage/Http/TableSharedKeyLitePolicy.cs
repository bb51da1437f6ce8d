using Azure.Core;
using Azure.Core.Pipeline;

namespace Serverless.Storage.Http;

/// <summary>
/// Signs table requests with SharedKeyLite: <c>x-ms-date \n CanonicalizedResource</c>, where the
/// resource is <c>/account</c> + the URL path exactly as sent, plus <c>?comp=</c> when present.
/// Runs once per try, after every policy that adds headers.
/// </summary>
internal sealed class TableSharedKeyLitePolicy(string accountName, byte[] accountKey) : HttpPipelineSynchronousPolicy
{
    public override void OnSendingRequest(HttpMessage message)
    {
        var request = message.Request;
        var date = SharedKeySigner.Now();
        request.Headers.SetValue("x-ms-date", date);

        var uri = request.Uri.ToUri();
        var resource = "/" + accountName + uri.AbsolutePath;
        var comp = QueryValue(uri.Query, "comp");
        if (comp is not null)
        {
            resource += "?comp=" + comp;
        }

        var signature = SharedKeySigner.Sign(accountKey, date + "\n" + resource);
        request.Headers.SetValue(HttpHeader.Names.Authorization, $"SharedKeyLite {accountName}:{signature}");
    }

    internal static string? QueryValue(string query, string name)
    {
        foreach (var pair in query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? pair : pair[..eq];
            if (string.Equals(Uri.UnescapeDataString(key), name, StringComparison.OrdinalIgnoreCase))
            {
                return eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..]);
            }
        }

        return null;
    }
}
