namespace Serverless.Storage.Http;

/// <summary>The REST API versions we speak; each is accepted by Azure and by the pinned Azurite.</summary>
internal static class StorageServiceVersions
{
    /// <summary>Table service: 2020-12-06 is the newest the Azure SDK uses and the first that takes Entra ID tokens everywhere.</summary>
    public const string Table = "2020-12-06";

    /// <summary>Blob service.</summary>
    public const string Blob = "2021-12-02";
}
