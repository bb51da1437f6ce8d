using System.Text.Json;
using Serverless.Functions.Api;

namespace Serverless.Tests.Functions;

/// <summary>The repair that lets stored JSON with lone surrogates be read (<see cref="StoredJson"/>).</summary>
public sealed class StoredJsonTests
{
    [Theory]
    [InlineData("""{"a":"\ud800"}""", """{"a":"�"}""")]
    [InlineData("""{"a":"x\udc00y"}""", """{"a":"x�y"}""")]
    [InlineData("""{"\ud800":1}""", """{"�":1}""")]
    [InlineData("""{"a":"\ud800\ud800\udc00"}""", """{"a":"�\ud800\udc00"}""")]
    [InlineData("""{"a":"\ud83d\ude00"}""", """{"a":"\ud83d\ude00"}""")]
    [InlineData("""{"a":"\\ud800"}""", """{"a":"\\ud800"}""")]
    [InlineData("""{"a":"\\\ud800"}""", """{"a":"\\�"}""")]
    [InlineData("""{"a":"\u0041\n"}""", """{"a":"\u0041\n"}""")]
    [InlineData("""{"a":"\ud80"}""", """{"a":"\ud80"}""")]
    public void Repair_ReplacesOnlyLoneSurrogateEscapes(string stored, string repaired)
    {
        Assert.Equal(repaired, StoredJson.Repair(stored));
    }

    [Fact]
    public void Repair_ReplacesRawLoneSurrogates_AndKeepsPairs()
    {
        Assert.Equal("\"a\uFFFDb\ud83d\ude00\uFFFD\"", StoredJson.Repair("\"a\ud800b\ud83d\ude00\udc00\""));
    }

    [Fact]
    public void Repair_ReturnsTheSameInstance_WhenThereIsNothingToRepair()
    {
        var json = """{"a":"plain","b":"\u00e9\\u"}""";

        Assert.Same(json, StoredJson.Repair(json));
    }

    [Theory]
    [InlineData("""{"a":""", false)]
    [InlineData("not json", false)]
    [InlineData("""{"a":"\ud800"}""", true)]
    [InlineData("null", true)]
    public void TryParse_SaysWhetherTheStoredTextIsJson(string stored, bool readable)
    {
        Assert.Equal(readable, StoredJson.TryParse(stored, out var value));
        Assert.Equal(readable && stored != "null", value is { ValueKind: not JsonValueKind.Null });
    }
}
