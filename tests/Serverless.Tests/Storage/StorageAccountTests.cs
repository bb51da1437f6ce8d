using Azure.Core;
using Azure.Identity;
using Serverless.Storage;

namespace Serverless.Tests.Storage;

/// <summary>The connection forms the app accepts, built into the SDK clients in one place.</summary>
public sealed class StorageAccountTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Fact]
    public void DevelopmentStorage_PointsAtAzuriteWithTheWellKnownAccount()
    {
        var account = StorageAccount.FromConnectionString("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", account.Tables.AccountName);
        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", account.Tables.Uri.AbsoluteUri.TrimEnd('/'));
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", account.Blobs.Uri.AbsoluteUri.TrimEnd('/'));
        Assert.True(account.Blobs.CanGenerateAccountSasUri);
    }

    [Fact]
    public void AccountKeyAndSuffix_BuildHostStyleEndpoints()
    {
        var account = StorageAccount.FromConnectionString($"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal("https://contoso.table.core.chinacloudapi.cn/", account.Tables.Uri.AbsoluteUri);
        Assert.Equal("https://contoso.blob.core.chinacloudapi.cn/", account.Blobs.Uri.AbsoluteUri);
    }

    [Fact]
    public void ExplicitEndpoints_AzuritesForm_AreUsedAsGiven()
    {
        var account = StorageAccount.FromConnectionString(
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Key};TableEndpoint=http://127.0.0.1:4000/devstoreaccount1;BlobEndpoint=http://127.0.0.1:4001/devstoreaccount1");

        Assert.Equal("devstoreaccount1", account.Tables.AccountName);
        Assert.Equal("http://127.0.0.1:4000/devstoreaccount1", account.Tables.Uri.AbsoluteUri.TrimEnd('/'));
        Assert.Equal("http://127.0.0.1:4001/devstoreaccount1", account.Blobs.Uri.AbsoluteUri.TrimEnd('/'));
    }

    [Fact]
    public void ServiceUris_UseTheTokenCredential_AndTheDescriptionNamesNoKey()
    {
        var account = StorageAccount.FromServiceUris(
            new Uri("https://contoso.table.core.windows.net/"), new Uri("https://contoso.blob.core.windows.net/"), new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId("00000000-0000-0000-0000-000000000001")));

        Assert.Equal("contoso", account.Tables.AccountName);
        Assert.False(account.Blobs.CanGenerateAccountSasUri);
        Assert.Contains("Entra ID", account.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("key", account.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Clients_GetOurRetrySettingsAndThePinnedBlobVersion()
    {
        ClientOptions? seen = null;
        StorageAccount.FromConnectionString("UseDevelopmentStorage=true", options => seen ??= options);

        Assert.Equal(4, seen!.Retry.MaxRetries);
        Assert.Equal(TimeSpan.FromMilliseconds(250), seen.Retry.Delay);
        Assert.Equal(TimeSpan.FromSeconds(30), seen.Retry.NetworkTimeout);
        Assert.Equal(Azure.Storage.Blobs.BlobClientOptions.ServiceVersion.V2024_11_04, Serverless.Storage.Pipeline.StoragePipeline.BlobOptions().Version);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AccountName=contoso;AccountKey=not*base64!")]
    [InlineData("AccountName=contoso;AccountKey")]
    [InlineData("DefaultEndpointsProtocol=https")]
    [InlineData("TableEndpoint=not a url;BlobEndpoint=http://x")]
    [InlineData("just some text")]
    public void Malformed_ThrowsFormatException(string connectionString) =>
        Assert.Throws<FormatException>(() => StorageAccount.FromConnectionString(connectionString));

    [Fact]
    public void Malformed_NeverEchoesTheKey()
    {
        const string secret = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs*";
        var errors = new[]
        {
            $"AccountName=contoso;AccountKey={secret}",
            $"AccountName=contoso;{secret}",
            $"AccountName=contoso;AccountKey={secret};AccountKey={secret}",
        }.Select(s => Assert.Throws<FormatException>(() => StorageAccount.FromConnectionString(s)));

        Assert.All(errors, error =>
        {
            Assert.DoesNotContain("c2VjcmV0", error.Message, StringComparison.Ordinal);
            Assert.Null(error.InnerException);
        });
    }
}
