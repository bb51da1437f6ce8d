using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Serverless.Functions.Storage;

namespace Serverless.Tests.Functions;

/// <summary>The one place that decides how the app reaches storage, from its settings.</summary>
public sealed class StorageSetupTests
{
    private static readonly IHostEnvironment Production = new HostingEnvironment { EnvironmentName = Environments.Production };
    private static readonly IHostEnvironment Development = new HostingEnvironment { EnvironmentName = Environments.Development };

    [Fact]
    public void ConnectionString_IsUsedFirst()
    {
        var account = StorageSetup.Connect(
            new StorageOptions { ConnectionString = "UseDevelopmentStorage=true", TableServiceUri = "https://other.table.core.windows.net/", BlobServiceUri = "https://other.blob.core.windows.net/" },
            webJobsStorage: null,
            Production);

        Assert.Equal("devstoreaccount1", account.Tables.AccountName);
    }

    [Fact]
    public void ServiceUris_ReachTheAccountWithEntraId_ThroughTheConfiguredIdentity()
    {
        var account = StorageSetup.Connect(
            new StorageOptions { TableServiceUri = "https://contoso.table.core.windows.net/", BlobServiceUri = "https://contoso.blob.core.windows.net/", ClientId = "00000000-0000-0000-0000-000000000001" },
            webJobsStorage: "UseDevelopmentStorage=true",
            Production);

        Assert.Equal("contoso", account.Tables.AccountName);
        Assert.Equal("https://contoso.blob.core.windows.net/", account.Blobs.Uri.AbsoluteUri);
        Assert.Contains("Entra ID", account.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://contoso.table.core.windows.net/", "")]
    [InlineData("not a uri", "https://contoso.blob.core.windows.net/")]
    public void ServiceUris_HalfOrMalformed_StopTheAppWithAClearMessage(string table, string blob)
    {
        var error = Assert.Throws<InvalidOperationException>(() => StorageSetup.Connect(new StorageOptions { TableServiceUri = table, BlobServiceUri = blob }, null, Production));

        Assert.Contains("Storage:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_IsAzuriteInDevelopment_AndAnErrorElsewhere()
    {
        Assert.Equal("devstoreaccount1", StorageSetup.Connect(new StorageOptions(), null, Development).Tables.AccountName);
        Assert.Throws<InvalidOperationException>(() => StorageSetup.Connect(new StorageOptions(), null, Production));
        Assert.Equal("devstoreaccount1", StorageSetup.Connect(new StorageOptions(), "UseDevelopmentStorage=true", Production).Tables.AccountName);
    }
}
