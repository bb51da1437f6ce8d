using System.Reflection;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary>Every row prefix and blob folder the code writes belongs to a registered kind.</summary>
public sealed class KindRegistryTests : IAsyncLifetime
{
    private LifecycleWorld world = null!;

    public async Task InitializeAsync() => world = await LifecycleWorld.CreateAsync();

    public async Task DisposeAsync() => await world.DisposeAsync();

    [Fact]
    public void EveryRowPrefixInTheKeyScheme_IsExactlyOneRegisteredKind()
    {
        var prefixes = typeof(UserRowKeys).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(prefixes, UserDataKinds.All.Select(k => k.RowPrefix).Order(StringComparer.Ordinal));
        Assert.Equal(UserDataKinds.All.Count, UserDataKinds.All.Select(k => k.Name).Distinct().Count());
    }

    [Fact]
    public void EveryBlobFolderInTheNameScheme_IsARegisteredFolder()
    {
        var folders = typeof(UserBlobNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal);

        Assert.Equal(folders, UserDataKinds.BlobFolders.Select(f => f.Folder).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task AWorkloadThroughEveryStore_WritesOnlyRowsAndBlobsOfRegisteredKinds_AndEveryKindIsWritten()
    {
        var user = UserPartition.For("registry|user/1");
        await world.Holds.PlaceAsync(user, "case 1", default);
        await UserWorkload.FillAsync(world, user);

        var rows = await UserWorkload.RowsAsync(world, user);
        var unknownRows = rows.Where(r => UserDataKinds.OfRow(r.RowKey) is null).Select(r => r.RowKey).ToList();
        Assert.True(unknownRows.Count == 0, "rows of no kind: " + string.Join(", ", unknownRows));
        var written = rows.Select(r => UserDataKinds.OfRow(r.RowKey)!.Name).ToHashSet();
        Assert.Equal(UserDataKinds.All.Select(k => k.Name).Order(), written.Order());

        var blobs = await UserWorkload.BlobsAsync(world, user);
        var unknownBlobs = blobs.Where(b => UserDataKinds.OfBlob(user.Key, b) is null).ToList();
        Assert.True(unknownBlobs.Count == 0, "blobs of no folder: " + string.Join(", ", unknownBlobs));
        Assert.Equal(UserDataKinds.BlobFolders.Select(f => f.Folder).Order(), blobs.Select(b => UserBlobNames.Parse(b)!.Value.Folder).Distinct().Order());
    }
}
