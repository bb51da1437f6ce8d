using System.Text;
using Azure;
using Serverless.Storage;
using Serverless.Storage.Blobs;

namespace Serverless.Tests.Storage;

public sealed class BlobContainerClientTests : BlobTestBase
{
    private static BlobUploadOptions Small() => new() { SingleUploadThreshold = 64 * 1024, BlockSize = 64 * 1024 };

    [Fact]
    public async Task Upload_StreamEndingBelowThreshold_RoundTripsInOneRequest()
    {
        var before = RoundTrips.Count;

        var result = await Container.UploadAsync("small.bin", new GeneratedStream(10_000), Small());

        Assert.Equal(1, RoundTrips.Count - before);
        Assert.Equal(0, result.BlockCount);
        Assert.Equal(10_000, result.Length);
        Assert.Equal(GeneratedStream.Bytes(10_000), await DownloadBytesAsync("small.bin"));
    }

    [Fact]
    public async Task Upload_UnknownLengthStreamAboveThreshold_StagesBlocksAndRoundTrips()
    {
        const int length = (300 * 1024) + 123;
        var before = RoundTrips.Count;

        var result = await Container.UploadAsync("large.bin", new GeneratedStream(length), Small());

        Assert.Equal(5, result.BlockCount);
        Assert.Equal(5 + 1, RoundTrips.Count - before);
        Assert.Equal(length, result.Length);
        Assert.Equal(GeneratedStream.Bytes(length), await DownloadBytesAsync("large.bin"));
        Assert.Equal(result.ETag, (await Container.GetPropertiesAsync("large.bin"))!.ETag);
    }

    [Fact]
    public async Task Upload_ThresholdNotAMultipleOfBlockSize_RoundTrips()
    {
        const int length = 250_000;
        var options = new BlobUploadOptions { SingleUploadThreshold = 100 * 1024, BlockSize = 64 * 1024 };

        var result = await Container.UploadAsync("odd.bin", new GeneratedStream(length), options);

        Assert.Equal(4, result.BlockCount);
        Assert.Equal(GeneratedStream.Bytes(length), await DownloadBytesAsync("odd.bin"));
    }

    [Fact]
    public async Task Upload_StreamOfExactlyTheThreshold_RoundTrips()
    {
        var result = await Container.UploadAsync("exact.bin", new GeneratedStream(64 * 1024), Small());

        Assert.Equal(64 * 1024, result.Length);
        Assert.Equal(GeneratedStream.Bytes(64 * 1024), await DownloadBytesAsync("exact.bin"));
    }

    [Fact]
    public async Task Upload_EmptyStream_StoresAnEmptyBlob()
    {
        await Container.UploadAsync("empty", new MemoryStream());

        var properties = await Container.GetPropertiesAsync("empty");

        Assert.Equal(0, properties!.ContentLength);
        Assert.Empty(await DownloadBytesAsync("empty"));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(200_000)]
    public async Task Upload_ContentTypeEncodingAndMetadata_ComeBackOnDownloadPropertiesAndList(int length)
    {
        var options = Small();
        options.ContentType = "application/json";
        options.ContentEncoding = "gzip";
        options.Metadata = new Dictionary<string, string> { ["kind"] = "message", ["rawbytes"] = "42" };
        await Container.UploadAsync("props/a.json.gz", new GeneratedStream(length), options);

        await using var download = await Container.DownloadAsync("props/a.json.gz");
        var properties = await Container.GetPropertiesAsync("props/a.json.gz");
        var listed = Assert.Single(await Container.ListAllAsync("props/"));

        foreach (var (type, encoding, metadata, size) in new[]
        {
            (download.Properties.ContentType, download.Properties.ContentEncoding, download.Properties.Metadata, download.Properties.ContentLength),
            (properties!.ContentType, properties.ContentEncoding, properties.Metadata, properties.ContentLength),
            (listed.ContentType, listed.ContentEncoding, listed.Metadata, listed.ContentLength),
        })
        {
            Assert.Equal("application/json", type);
            Assert.Equal("gzip", encoding);
            Assert.Equal("message", metadata["kind"]);
            Assert.Equal("42", metadata["RawBytes"]);
            Assert.Equal(2, metadata.Count);
            Assert.Equal(length, size);
        }

        Assert.Equal("props/a.json.gz", listed.Name);
        Assert.Equal(properties.ETag, listed.ETag);
        Assert.Equal(properties.ETag, download.Properties.ETag);
        Assert.Equal(properties.LastModified, listed.LastModified);
        Assert.InRange(properties.LastModified, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(5));
    }

    [Fact]
    public async Task Download_Range_ReturnsExactlyTheAskedBytes()
    {
        var content = GeneratedStream.Bytes(100_000);
        await Container.UploadAsync("ranged", new MemoryStream(content));

        await using var middle = await Container.DownloadAsync("ranged", new BlobRange(1000, 500));
        using var copy = new MemoryStream();
        await middle.Content.CopyToAsync(copy);
        var tail = await DownloadBytesAsync("ranged", new BlobRange(99_990));

        Assert.Equal(content.AsSpan(1000, 500).ToArray(), copy.ToArray());
        Assert.Equal(500, middle.ContentLength);
        Assert.Equal("bytes 1000-1499/100000", middle.ContentRange);
        Assert.Equal(100_000, middle.Properties.ContentLength);
        Assert.Equal(content.AsSpan(99_990).ToArray(), tail);
    }

    [Fact]
    public async Task Download_RangeStartingPastTheEnd_Throws416()
    {
        await Container.UploadAsync("short", new MemoryStream(new byte[10]));

        var error = await Assert.ThrowsAsync<StorageException>(() => Container.DownloadAsync("short", new BlobRange(100, 10)));

        Assert.Equal(416, error.Status);
        Assert.Equal("InvalidRange", error.ErrorCode);
    }

    [Fact]
    public async Task Download_MissingBlob_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<StorageException>(() => Container.DownloadAsync("missing"));

        Assert.True(error.IsNotFound);
        Assert.Equal("BlobNotFound", error.ErrorCode);
    }

    [Fact]
    public async Task GetProperties_MissingBlob_ReturnsNull()
    {
        Assert.Null(await Container.GetPropertiesAsync("missing"));
    }

    [Theory]
    [InlineData(100)]
    [InlineData(200_000)]
    public async Task Upload_CreateOnlyOnExistingBlob_ThrowsBlobAlreadyExistsAndKeepsTheFirst(int length)
    {
        var first = await Container.UploadAsync("once", new MemoryStream([1, 2, 3]));
        var options = Small();
        options.IfNoneMatchAll = true;

        var error = await Assert.ThrowsAsync<StorageException>(() => Container.UploadAsync("once", new GeneratedStream(length), options));

        Assert.True(error.IsConflict);
        Assert.Equal("BlobAlreadyExists", error.ErrorCode);
        Assert.Equal(first.ETag, (await Container.GetPropertiesAsync("once"))!.ETag);
        Assert.Equal([1, 2, 3], await DownloadBytesAsync("once"));
    }

    [Fact]
    public async Task Upload_CreateOnlyOnNewBlob_Succeeds()
    {
        var result = await Container.UploadAsync("fresh", new MemoryStream([9]), new BlobUploadOptions { IfNoneMatchAll = true });

        Assert.Equal(1, result.Length);
    }

    [Theory]
    [InlineData(100)]
    [InlineData(200_000)]
    public async Task Upload_IfMatchStaleETag_Throws412AndKeepsTheWinner(int length)
    {
        var first = await Container.UploadAsync("versioned", new MemoryStream([1]));
        var second = await Container.UploadAsync("versioned", new MemoryStream([2]), new BlobUploadOptions { IfMatch = first.ETag });
        var options = Small();
        options.IfMatch = first.ETag;

        var error = await Assert.ThrowsAsync<StorageException>(() => Container.UploadAsync("versioned", new GeneratedStream(length), options));

        Assert.True(error.IsPreconditionFailed);
        Assert.NotEqual(first.ETag, second.ETag);
        Assert.Equal([2], await DownloadBytesAsync("versioned"));
    }

    [Fact]
    public async Task List_PrefixAndPageSizeTwo_ReturnsAllFiveAcrossPagesAndNothingElse()
    {
        for (var i = 0; i < 5; i++)
        {
            await Container.UploadAsync($"logs/{i}.txt", new MemoryStream([(byte)i]));
        }

        await Container.UploadAsync("logs-other/x.txt", new MemoryStream([1]));
        await Container.UploadAsync("a-before.txt", new MemoryStream([1]));

        var pages = new List<BlobPage>();
        await foreach (var page in Container.ListAsync("logs/", pageSize: 2))
        {
            pages.Add(page);
        }

        Assert.Equal(["logs/0.txt", "logs/1.txt", "logs/2.txt", "logs/3.txt", "logs/4.txt"], pages.SelectMany(p => p.Items).Select(b => b.Name));
        Assert.All(pages, p => Assert.InRange(p.Items.Count, 0, 2));
        Assert.True(pages.Count >= 3);
        Assert.Null(pages[^1].NextMarker);
        Assert.All(pages.SelectMany(p => p.Items), b => Assert.Equal(1, b.ContentLength));
    }

    [Fact]
    public async Task List_StartMarker_ResumesWhereThePageEnded()
    {
        for (var i = 0; i < 4; i++)
        {
            await Container.UploadAsync($"m/{i}", new MemoryStream([1]));
        }

        BlobPage first = null!;
        await foreach (var page in Container.ListAsync("m/", pageSize: 2))
        {
            first = page;
            break;
        }

        var rest = new List<string>();
        await foreach (var page in Container.ListAsync("m/", pageSize: 10, startMarker: first.NextMarker))
        {
            rest.AddRange(page.Items.Select(b => b.Name));
        }

        Assert.Equal(["m/0", "m/1"], first.Items.Select(b => b.Name));
        Assert.Equal(["m/2", "m/3"], rest);
    }

    [Fact]
    public async Task Delete_ReturnsTrueThenFalse()
    {
        await Container.UploadAsync("doomed", new MemoryStream([1]));

        Assert.True(await Container.DeleteAsync("doomed"));
        Assert.False(await Container.DeleteAsync("doomed"));
        Assert.Null(await Container.GetPropertiesAsync("doomed"));
    }

    [Fact]
    public async Task Delete_StaleETag_Throws412AndKeepsTheBlob()
    {
        var first = await Container.UploadAsync("kept", new MemoryStream([1]));
        await Container.UploadAsync("kept", new MemoryStream([2]));

        var error = await Assert.ThrowsAsync<StorageException>(() => Container.DeleteAsync("kept", first.ETag));

        Assert.True(error.IsPreconditionFailed);
        Assert.NotNull(await Container.GetPropertiesAsync("kept"));
    }

    [Fact]
    public async Task Upload_NameWithSpacesAndNonAscii_RoundTripsAndListsUnescaped()
    {
        const string name = "user 1/notes (draft)+ü é#1.txt";

        await Container.UploadAsync(name, new MemoryStream(Encoding.UTF8.GetBytes("hi")));

        Assert.Equal("hi", Encoding.UTF8.GetString(await DownloadBytesAsync(name)));
        Assert.Equal(name, Assert.Single(await Container.ListAllAsync("user 1/")).Name);
        Assert.True(await Container.DeleteAsync(name));
    }

    [Fact]
    public async Task CreateIfNotExists_ExistingContainer_Succeeds()
    {
        await Container.CreateIfNotExistsAsync();
    }

    [Fact]
    public async Task DeleteContainer_Missing_Succeeds()
    {
        var missing = new BlobContainerClient(Azurite.Connection, Serverless.Testing.Azurite.UniqueName("gone"));

        await missing.DeleteContainerAsync();
    }

    [Fact]
    public async Task Upload_MissingContainer_ThrowsContainerNotFound()
    {
        var missing = new BlobContainerClient(Azurite.Connection, Serverless.Testing.Azurite.UniqueName("gone"));

        var error = await Assert.ThrowsAsync<StorageException>(() => missing.UploadAsync("x", new MemoryStream([1])));

        Assert.True(error.IsNotFound);
        Assert.Equal("ContainerNotFound", error.ErrorCode);
    }

    [Theory]
    [InlineData("ab")]
    [InlineData("Upper")]
    [InlineData("double--hyphen")]
    [InlineData("-leading")]
    [InlineData("trailing-")]
    [InlineData("under_score")]
    public void Constructor_InvalidContainerName_ThrowsArgumentException(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new BlobContainerClient(Azurite.Connection, name));

        Assert.Contains("container name", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Upper")]
    [InlineData("with-hyphen")]
    [InlineData("1digit")]
    [InlineData("")]
    public async Task Upload_InvalidMetadataName_ThrowsArgumentException(string name)
    {
        var options = new BlobUploadOptions { Metadata = new Dictionary<string, string> { [name] = "v" } };

        await Assert.ThrowsAsync<ArgumentException>(() => Container.UploadAsync("m", new MemoryStream([1]), options));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ends-with-dot.")]
    [InlineData("ends/with/slash/")]
    [InlineData("/leading")]
    [InlineData("back\\slash")]
    public async Task Upload_InvalidBlobName_ThrowsArgumentException(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Container.UploadAsync(name, new MemoryStream([1])));
    }
}
