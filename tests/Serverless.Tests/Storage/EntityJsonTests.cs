using System.Text.Json;
using Azure.Data.Tables;
using FsCheck.Fluent;
using Serverless.Storage;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

/// <summary>The entity JSON of archive segment lines, and that what the SDK stores reads back with the same types.</summary>
public sealed class EntityJsonTests : TableTestBase
{
    [Fact]
    public void Serialize_AnnotatesTheTypesThatNeedIt()
    {
        var entity = new TableEntity("p", "r")
        {
            ["S"] = "s", ["B"] = true, ["I"] = 7, ["L"] = 7L, ["D"] = 2.0, ["N"] = double.NaN,
            ["T"] = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), ["G"] = Guid.Empty, ["X"] = new byte[] { 1, 2 },
        };

        var json = JsonDocument.Parse(EntityJson.Serialize(entity)).RootElement;

        Assert.False(json.TryGetProperty("S@odata.type", out _));
        Assert.False(json.TryGetProperty("I@odata.type", out _));
        Assert.Equal("Edm.Int64", json.GetProperty("L@odata.type").GetString());
        Assert.Equal("7", json.GetProperty("L").GetString());
        Assert.Equal("Edm.Double", json.GetProperty("D@odata.type").GetString());
        Assert.Equal("NaN", json.GetProperty("N").GetString());
        Assert.Equal("2025-01-02T01:04:05.0000000Z", json.GetProperty("T").GetString());
        Assert.Equal("Edm.Guid", json.GetProperty("G@odata.type").GetString());
        Assert.Equal("AQI=", json.GetProperty("X").GetString());
    }

    [Fact]
    public void Read_OfSerialize_ReturnsTheSameEntity() =>
        Properties.Check(EntityGenerators.Entity("p"), e =>
            EntityGenerators.SameContent(e, EntityJson.Read(JsonDocument.Parse(EntityJson.Serialize(e)).RootElement)));

    [Fact]
    public void Read_UnannotatedValues_TakeTheServiceDefaults_AndSkipTheServiceFields()
    {
        var json = """{"PartitionKey":"p","RowKey":"r","Timestamp":"2024-01-01T00:00:00Z","odata.etag":"W/\"x\"","I":5,"D":1.5,"B":false,"S":"s"}""";

        var entity = EntityJson.Read(JsonDocument.Parse(json).RootElement);

        Assert.Equal(5, entity["I"]);
        Assert.Equal(1.5, entity["D"]);
        Assert.Equal(false, entity["B"]);
        Assert.Equal(["B", "D", "I", "S"], EntityLimits.CustomProperties(entity).Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("""{"RowKey":"r"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X@odata.type":"Edm.Int64","X":"twelve"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X@odata.type":"Edm.Unknown","X":"1"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X":[1,2]}""")]
    public void Read_MalformedEntity_ThrowsFormatException(string json) =>
        Assert.Throws<FormatException>(() => EntityJson.Read(JsonDocument.Parse(json).RootElement));

    /// <summary>What the SDK writes (a segment row restored by unarchive, any row) reads back through the SDK with its types and values.</summary>
    [Fact]
    public async Task EveryType_RoundTripsThroughAzurite()
    {
        var entities = Gen.Sample(EntityGenerators.Entity("roundtrip", finiteDoubles: true), 150);
        foreach (var chunk in entities.Chunk(50))
        {
            await Table.SubmitAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)).ToList());
        }

        foreach (var written in entities)
        {
            var read = await Table.FindAsync(written.PartitionKey, written.RowKey);
            Assert.True(EntityGenerators.SameContent(written, read!), $"Entity {written.RowKey} changed in storage.");
        }
    }

    /// <summary>A segment line read back (its rows as they were) goes into a transaction unchanged and is stored as it was.</summary>
    [Fact]
    public async Task SegmentLine_RestoredThroughTheSdk_IsTheSameRow()
    {
        var original = Gen.Sample(EntityGenerators.Entity("segment", finiteDoubles: true), 20);
        var restored = original.Select(e => EntityJson.Read(JsonDocument.Parse(EntityJson.Serialize(e)).RootElement)).ToList();

        await Table.SubmitAsync(restored.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)).ToList());

        foreach (var written in original)
        {
            Assert.True(EntityGenerators.SameContent(written, (await Table.FindAsync(written.PartitionKey, written.RowKey))!));
        }
    }
}
