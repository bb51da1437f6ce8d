using Azure.Core;
using Azure.Identity;

namespace Serverless.Storage;

/// <summary>
/// Where a storage account lives and how to authenticate to it, parsed from an Azure
/// Storage connection string. A string with an account key signs requests with Shared Key;
/// a string with only an account name or endpoints authenticates with Entra ID
/// (<see cref="DefaultAzureCredential"/>, which is the managed identity in Azure).
/// </summary>
public sealed class StorageConnection
{
    /// <summary>The account name and key of the local emulator (Azurite), which are public.</summary>
    public const string DevelopmentAccountName = "devstoreaccount1";

    internal const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private StorageConnection(string accountName, Uri tableEndpoint, Uri blobEndpoint, byte[]? accountKey, TokenCredential? tokenCredential)
    {
        AccountName = accountName;
        TableEndpoint = tableEndpoint;
        BlobEndpoint = blobEndpoint;
        AccountKey = accountKey;
        TokenCredential = tokenCredential;
    }

    /// <summary>The storage account name; it is signed into every Shared Key request.</summary>
    public string AccountName { get; }

    /// <summary>The Table service endpoint, e.g. <c>https://acct.table.core.windows.net/</c> or <c>http://127.0.0.1:10002/devstoreaccount1/</c>.</summary>
    public Uri TableEndpoint { get; }

    /// <summary>The Blob service endpoint.</summary>
    public Uri BlobEndpoint { get; }

    /// <summary>The decoded account key, or <c>null</c> when the connection uses Entra ID.</summary>
    internal byte[]? AccountKey { get; }

    /// <summary>The credential for bearer tokens, or <c>null</c> when the connection uses Shared Key.</summary>
    public TokenCredential? TokenCredential { get; }

    /// <summary>Whether requests are signed with the account key (otherwise they carry Entra ID bearer tokens).</summary>
    public bool UsesSharedKey => AccountKey is not null;

    /// <summary>A connection with explicit endpoints and an Entra ID credential (no key).</summary>
    public static StorageConnection ForTokenCredential(string accountName, Uri tableEndpoint, Uri blobEndpoint, TokenCredential credential)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(accountName);
        ArgumentNullException.ThrowIfNull(credential);
        return new StorageConnection(accountName, WithTrailingSlash(tableEndpoint), WithTrailingSlash(blobEndpoint), null, credential);
    }

    /// <summary>
    /// Parses a connection string. Accepted forms: <c>UseDevelopmentStorage=true</c> (optionally with
    /// <c>DevelopmentStorageProxyUri</c>); <c>DefaultEndpointsProtocol</c>, <c>AccountName</c>,
    /// <c>AccountKey</c> and <c>EndpointSuffix</c>; and explicit <c>TableEndpoint</c> / <c>BlobEndpoint</c>.
    /// Without <c>AccountKey</c> the connection uses <paramref name="tokenCredential"/>, or
    /// <see cref="DefaultAzureCredential"/> when none is given.
    /// </summary>
    /// <exception cref="FormatException">The string is malformed. The message never contains the key.</exception>
    public static StorageConnection Parse(string connectionString, TokenCredential? tokenCredential = null)
    {
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new FormatException("The storage connection string is empty.");
        }

        var settings = ParsePairs(connectionString);
        if (settings.TryGetValue("UseDevelopmentStorage", out var dev))
        {
            return ParseDevelopment(settings, dev);
        }

        settings.TryGetValue("AccountName", out var accountName);
        settings.TryGetValue("AccountKey", out var keyText);
        var tableEndpoint = EndpointFor(settings, "Table", accountName);
        var blobEndpoint = EndpointFor(settings, "Blob", accountName);
        if (tableEndpoint is null || blobEndpoint is null)
        {
            throw new FormatException(
                "The storage connection string names no endpoint: give AccountName (with DefaultEndpointsProtocol and EndpointSuffix as needed), " +
                "or TableEndpoint and BlobEndpoint.");
        }

        accountName ??= AccountNameFromEndpoint(tableEndpoint);
        if (string.IsNullOrEmpty(accountName))
        {
            throw new FormatException("The storage connection string has explicit endpoints but no AccountName, and none can be read from the endpoint host.");
        }

        if (keyText is null)
        {
            return new StorageConnection(accountName, tableEndpoint, blobEndpoint, null, tokenCredential ?? new DefaultAzureCredential());
        }

        return new StorageConnection(accountName, tableEndpoint, blobEndpoint, DecodeKey(keyText), null);
    }

    /// <summary>Describes the connection for logs: account, endpoints and the kind of credential, never the key.</summary>
    public override string ToString() =>
        $"account={AccountName} table={TableEndpoint} blob={BlobEndpoint} auth={(UsesSharedKey ? "SharedKey" : "EntraId")}";

    private static StorageConnection ParseDevelopment(Dictionary<string, string> settings, string value)
    {
        if (!bool.TryParse(value, out var enabled) || !enabled)
        {
            throw new FormatException("UseDevelopmentStorage must be 'true' when present.");
        }

        var proxy = settings.TryGetValue("DevelopmentStorageProxyUri", out var p) ? ParseUri(p, "DevelopmentStorageProxyUri") : new Uri("http://127.0.0.1");
        var host = $"{proxy.Scheme}://{proxy.Host}";
        return new StorageConnection(
            DevelopmentAccountName,
            new Uri($"{host}:10002/{DevelopmentAccountName}/"),
            new Uri($"{host}:10000/{DevelopmentAccountName}/"),
            Convert.FromBase64String(DevelopmentAccountKey),
            null);
    }

    private static Dictionary<string, string> ParsePairs(string connectionString)
    {
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                // Only the setting's name may be echoed: the value could be (part of) the key.
                var name = eq < 0 ? "a setting without '='" : "a setting with an empty name";
                throw new FormatException($"The storage connection string is malformed: it contains {name}. Settings are 'Name=value' pairs separated by ';'.");
            }

            var key = part[..eq].Trim();
            if (!settings.TryAdd(key, part[(eq + 1)..].Trim()))
            {
                throw new FormatException($"The storage connection string sets '{key}' more than once.");
            }
        }

        return settings;
    }

    private static Uri? EndpointFor(Dictionary<string, string> settings, string service, string? accountName)
    {
        if (settings.TryGetValue($"{service}Endpoint", out var explicitEndpoint))
        {
            return WithTrailingSlash(ParseUri(explicitEndpoint, $"{service}Endpoint"));
        }

        if (string.IsNullOrEmpty(accountName))
        {
            return null;
        }

        var protocol = settings.TryGetValue("DefaultEndpointsProtocol", out var proto) ? proto.ToLowerInvariant() : "https";
        if (protocol is not ("https" or "http"))
        {
            throw new FormatException("DefaultEndpointsProtocol must be 'https' or 'http'.");
        }

        var suffix = settings.TryGetValue("EndpointSuffix", out var s) ? s : "core.windows.net";
        return ParseUri($"{protocol}://{accountName}.{service.ToLowerInvariant()}.{suffix}/", "EndpointSuffix");
    }

    private static Uri ParseUri(string text, string setting)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FormatException($"The storage connection string's {setting} is not an absolute http(s) URL.");
        }

        return uri;
    }

    private static Uri WithTrailingSlash(Uri uri) =>
        uri.AbsolutePath.EndsWith('/') ? uri : new Uri(uri.GetLeftPart(UriPartial.Path) + "/");

    private static string? AccountNameFromEndpoint(Uri endpoint)
    {
        // Path-style (emulator, IP address): the first path segment is the account.
        var segments = endpoint.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (endpoint.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 || endpoint.IsLoopback)
        {
            return segments.FirstOrDefault();
        }

        var dot = endpoint.Host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 ? endpoint.Host[..dot] : null;
    }

    private static byte[] DecodeKey(string keyText)
    {
        try
        {
            var key = Convert.FromBase64String(keyText);
            if (key.Length == 0)
            {
                throw new FormatException("The storage connection string's AccountKey is empty.");
            }

            return key;
        }
        catch (FormatException)
        {
            throw new FormatException("The storage connection string's AccountKey is not valid base64.");
        }
    }
}
