using Serverless.Storage;

namespace Serverless.Tests.Storage;

public sealed class StorageConnectionTests
{
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    [Fact]
    public void DevelopmentStorage_PointsAtAzuriteWithTheWellKnownAccount()
    {
        var connection = StorageConnection.Parse("UseDevelopmentStorage=true");

        Assert.Equal("devstoreaccount1", connection.AccountName);
        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1/", connection.TableEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1/", connection.BlobEndpoint.AbsoluteUri);
        Assert.True(connection.UsesSharedKey);
    }

    [Fact]
    public void AccountKeyAndSuffix_BuildHostStyleEndpoints()
    {
        var connection = StorageConnection.Parse($"DefaultEndpointsProtocol=https;AccountName=contoso;AccountKey={Key};EndpointSuffix=core.chinacloudapi.cn");

        Assert.Equal("https://contoso.table.core.chinacloudapi.cn/", connection.TableEndpoint.AbsoluteUri);
        Assert.Equal("https://contoso.blob.core.chinacloudapi.cn/", connection.BlobEndpoint.AbsoluteUri);
        Assert.True(connection.UsesSharedKey);
    }

    [Fact]
    public void DefaultSuffix_IsThePublicCloud()
    {
        var connection = StorageConnection.Parse($"AccountName=contoso;AccountKey={Key}");

        Assert.Equal("https://contoso.table.core.windows.net/", connection.TableEndpoint.AbsoluteUri);
    }

    [Fact]
    public void ExplicitEndpoints_AreUsedAsGiven_AndNameTheAccountWhenPathStyle()
    {
        var connection = StorageConnection.Parse($"AccountKey={Key};TableEndpoint=http://127.0.0.1:4000/devstoreaccount1;BlobEndpoint=http://127.0.0.1:4001/devstoreaccount1");

        Assert.Equal("devstoreaccount1", connection.AccountName);
        Assert.Equal("http://127.0.0.1:4000/devstoreaccount1/", connection.TableEndpoint.AbsoluteUri);
        Assert.Equal("http://127.0.0.1:4001/devstoreaccount1/", connection.BlobEndpoint.AbsoluteUri);
    }

    [Fact]
    public void NoKey_MeansEntraIdThroughATokenCredential()
    {
        var connection = StorageConnection.Parse("AccountName=contoso");

        Assert.False(connection.UsesSharedKey);
        Assert.NotNull(connection.TokenCredential);
        Assert.DoesNotContain("key", connection.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("")]
    [InlineData("AccountName=contoso;AccountKey=not*base64!")]
    [InlineData("AccountName=contoso;AccountKey")]
    [InlineData("AccountName=contoso;AccountName=other")]
    [InlineData("DefaultEndpointsProtocol=ftp;AccountName=contoso")]
    [InlineData("TableEndpoint=not a url;BlobEndpoint=http://x")]
    [InlineData("DefaultEndpointsProtocol=https")]
    [InlineData("UseDevelopmentStorage=false")]
    public void Malformed_ThrowsFormatException(string connectionString) =>
        Assert.Throws<FormatException>(() => StorageConnection.Parse(connectionString));

    [Fact]
    public void Malformed_NeverEchoesTheKey()
    {
        const string secret = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs*";
        var errors = new[]
        {
            $"AccountName=contoso;AccountKey={secret}",
            $"AccountName=contoso;{secret}",
            $"AccountName=contoso;AccountKey={secret};AccountKey={secret}",
        }.Select(s => Assert.Throws<FormatException>(() => StorageConnection.Parse(s)).Message);

        Assert.All(errors, message => Assert.DoesNotContain("c2VjcmV0", message, StringComparison.Ordinal));
    }
}
