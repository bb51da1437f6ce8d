using Serverless.Functions.Artifacts;
using Serverless.Storage.Artifacts;
using Serverless.Storage.Payloads;

namespace Serverless.Tests.Artifacts;

/// <summary>The pure rules of artifacts: byte ranges, which types are compressed, which are sandboxed.</summary>
public sealed class ArtifactRulesTests
{
    [Theory]
    [InlineData("bytes=0-9", 100, RangeRequest.Partial, 0, 9)]
    [InlineData("bytes=90-", 100, RangeRequest.Partial, 90, 99)]
    [InlineData("bytes=-5", 100, RangeRequest.Partial, 95, 99)]
    [InlineData("bytes=-500", 100, RangeRequest.Partial, 0, 99)]
    [InlineData("bytes=50-1000", 100, RangeRequest.Partial, 50, 99)]
    [InlineData("bytes=99-99", 100, RangeRequest.Partial, 99, 99)]
    [InlineData("bytes=100-", 100, RangeRequest.Unsatisfiable, 0, -1)]
    [InlineData("bytes=100-200", 100, RangeRequest.Unsatisfiable, 0, -1)]
    [InlineData("bytes=-0", 100, RangeRequest.Unsatisfiable, 0, -1)]
    [InlineData("bytes=0-", 0, RangeRequest.Unsatisfiable, 0, -1)]
    [InlineData("bytes=0-1,5-6", 100, RangeRequest.Whole, 0, -1)]
    [InlineData("items=0-1", 100, RangeRequest.Whole, 0, -1)]
    [InlineData("bytes=9-2", 100, RangeRequest.Whole, 0, -1)]
    [InlineData("bytes=x-y", 100, RangeRequest.Whole, 0, -1)]
    [InlineData("", 100, RangeRequest.Whole, 0, -1)]
    public void Range_IsResolvedAgainstTheLength(string header, long length, RangeRequest kind, long first, long last)
    {
        var range = ByteRange.Resolve(header, length);

        Assert.Equal(kind, range.Kind);
        Assert.Equal(first, range.First);
        Assert.Equal(last, range.Last);
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("application/x-ndjson", true)]
    [InlineData("text/plain", true)]
    [InlineData("text/x-diff", true)]
    [InlineData("application/vnd.api+json", true)]
    [InlineData("image/svg+xml", true)]
    [InlineData("application/javascript", true)]
    [InlineData("image/png", false)]
    [InlineData("image/jpeg", false)]
    [InlineData("application/zip", false)]
    [InlineData("application/gzip", false)]
    [InlineData("application/pdf", false)]
    [InlineData("video/mp4", false)]
    [InlineData("application/octet-stream", false)]
    public void TextTypes_AreCompressed_MediaAndArchivesAreNot(string contentType, bool compressed)
    {
        Assert.Equal(compressed, ArtifactCodecs.IsCompressible(contentType));
        Assert.Equal(compressed ? "br4" : PayloadCodec.Identity.Name, ArtifactCodecs.For(contentType, PayloadCodec.Brotli(4)).Name);
    }

    [Theory]
    [InlineData("text/html", true)]
    [InlineData("text/html; charset=utf-8", true)]
    [InlineData("image/svg+xml", true)]
    [InlineData("application/xml", true)]
    [InlineData("application/atom+xml", true)]
    [InlineData("text/javascript", true)]
    [InlineData("application/pdf", true)]
    [InlineData("application/json", false)]
    [InlineData("text/plain", false)]
    [InlineData("image/png", false)]
    public void ActiveTypes_AreSandboxed(string contentType, bool active) => Assert.Equal(active, ArtifactContentEndpoint.IsActive(contentType));

    [Fact]
    public void ArtifactIds_SortNewestFirst_AndHaveOneShape()
    {
        var older = ArtifactStore.NewId(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var newer = ArtifactStore.NewId(new DateTimeOffset(2026, 1, 1, 0, 0, 1, TimeSpan.Zero));

        Assert.True(string.CompareOrdinal(newer, older) < 0);
        Assert.True(ArtifactStore.IsId(older));
        Assert.False(ArtifactStore.IsId("../" + older));
        Assert.False(ArtifactStore.IsId("x"));
    }
}
