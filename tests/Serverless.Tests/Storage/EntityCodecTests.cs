using System.Text.Json;
using FsCheck.Fluent;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

public sealed class EntityCodecTests : TableTestBase
{
    [Fact]
    public void Serialize_AnnotatesTheTypesThatNeedIt()
    {
        var entity = new TableEntity("p", "r")
        {
            ["S"] = "s", ["B"] = true, ["I"] = 7, ["L"] = 7L, ["D"] = 2.0, ["N"] = double.NaN,
            ["T"] = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2)), ["G"] = Guid.Empty, ["X"] = new byte[] { 1, 2 },
        };

        var json = JsonDocument.Parse(EntityCodec.Serialize(entity)).RootElement;

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
            EntityGenerators.SameContent(e, EntityCodec.Read(JsonDocument.Parse(EntityCodec.Serialize(e)).RootElement)));

    [Fact]
    public void Read_UnannotatedValues_TakeTheServiceDefaults()
    {
        var json = """{"PartitionKey":"p","RowKey":"r","Timestamp":"2024-01-01T00:00:00Z","odata.etag":"W/\"x\"","I":5,"D":1.5,"B":false,"S":"s"}""";

        var entity = EntityCodec.Read(JsonDocument.Parse(json).RootElement);

        Assert.Equal(5, entity["I"]);
        Assert.Equal(1.5, entity["D"]);
        Assert.Equal(false, entity["B"]);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero), entity.Timestamp);
        Assert.Equal("W/\"x\"", entity.ETag.ToString());
        Assert.Equal(4, entity.Count);
    }

    [Theory]
    [InlineData("""{"RowKey":"r"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X@odata.type":"Edm.Int64","X":"twelve"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X@odata.type":"Edm.Unknown","X":"1"}""")]
    [InlineData("""{"PartitionKey":"p","RowKey":"r","X":[1,2]}""")]
    public void Read_MalformedEntity_ThrowsFormatException(string json) =>
        Assert.Throws<FormatException>(() => EntityCodec.Read(JsonDocument.Parse(json).RootElement));

    [Fact]
    public void TableEntity_RefusesTypesATableCannotStore()
    {
        var entity = new TableEntity("p", "r");

        Assert.Throws<ArgumentException>(() => entity["D"] = 1.5m);
        Assert.Throws<ArgumentException>(() => entity["PartitionKey"] = "x");
        Assert.Throws<ArgumentException>(() => entity["a@b"] = "x");
    }

    [Fact]
    public async Task EveryType_RoundTripsThroughAzurite()
    {
        var entities = Gen.Sample(EntityGenerators.Entity("roundtrip"), 150);
        foreach (var chunk in entities.Chunk(50))
        {
            await Table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableActionType.Add, e)).ToList());
        }

        foreach (var written in entities)
        {
            var read = await Table.GetAsync(written.PartitionKey, written.RowKey);
            Assert.True(EntityGenerators.SameContent(written, read!), $"Entity {written.RowKey} changed in storage.");
        }
    }
}
