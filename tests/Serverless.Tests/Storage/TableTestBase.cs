using Azure.Data.Tables;
using Serverless.Storage.Pipeline;

namespace Serverless.Tests.Storage;

/// <summary>Gives each test class its own table in the run's Azurite, deleted afterwards.</summary>
public abstract class TableTestBase : IAsyncLifetime
{
    protected Azurite Azurite { get; private set; } = null!;

    protected TableClient Table { get; private set; } = null!;

    protected RoundTripCounter RoundTrips { get; } = new();

    public virtual async Task InitializeAsync()
    {
        Azurite = await Azurite.Shared;
        Table = Azurite.Table(Azurite.UniqueName("t"), RoundTrips.AddTo);
        await Table.CreateIfNotExistsAsync();
    }

    public virtual async Task DisposeAsync() => await Table.DeleteAsync();
}
