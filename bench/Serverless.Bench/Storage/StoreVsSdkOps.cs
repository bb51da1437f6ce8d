using System.Globalization;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Serverless.Bench.Conversations;
using Serverless.Storage;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Bench.Storage;

/// <summary>
/// One store operation and the bare SDK call(s) it performs, each on rows and blobs of its own (two users
/// in one table and one container): <paramref name="Store"/> and <paramref name="Sdk"/> get the iteration number.
/// </summary>
internal sealed record OpPair(string Name, string Description, int Samples, Func<int, Task> Store, Func<int, Task> Sdk);

/// <summary>The pairs <c>bench/run storage --only ops</c> times; <see cref="CreateAsync"/> seeds what they read.</summary>
internal static class StoreVsSdkOps
{
    private const string Namespace = "bench";
    private const int Settings = 100;
    private const int SeededMessages = 400;

    public static async Task<IReadOnlyList<OpPair>> CreateAsync(TableClient storeTable, BlobContainerClient storeBlobs, TableClient sdkTable, BlobContainerClient sdkBlobs, ExpiryIndex expiry, int samples)
    {
        var storeUser = UserPartition.For("bench-store");
        var sdkUser = UserPartition.For("bench-sdk");
        var settings = new SettingsStore(storeTable);
        var threads = new ThreadStore(storeTable, TimeProvider.System, expiry);
        var payloads = new PayloadStore(storeBlobs);
        var messages = new MessageStore(storeTable, threads, payloads, TimeProvider.System);
        var value = "\"" + ChatText.Make(1, 300) + "\"";

        // Seed: the settings each side lists and reads, a thread per side with messages to page through, the payloads to read.
        for (var i = 0; i < Settings; i++)
        {
            await settings.PutAsync(storeUser, Namespace, Key(i), value, null, false, default);
            await settings.PutAsync(sdkUser, Namespace, Key(i), value, null, false, default);
        }

        var listThread = await SeedThreadAsync(storeTable, storeUser, "list", messages, expiry);
        await SeedThreadAsync(sdkTable, sdkUser, "list", new MessageStore(sdkTable, new ThreadStore(sdkTable, TimeProvider.System, expiry), new PayloadStore(sdkBlobs), TimeProvider.System), expiry);
        await threads.CreateAsync(storeUser, ThreadRecord.New("append", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        await new ThreadStore(sdkTable, TimeProvider.System, expiry).CreateAsync(sdkUser, ThreadRecord.New("append", null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);

        var small = Payload(16 * 1024);
        var large = Payload(1024 * 1024);
        var smallRef = await payloads.WriteAsync(MessageStore.BlobPrefix(storeUser, "read"), new MemoryStream(small.Raw), "text/plain; charset=utf-8");
        var largeRef = await payloads.WriteAsync(MessageStore.BlobPrefix(storeUser, "read"), new MemoryStream(large.Raw), "text/plain; charset=utf-8");
        var smallSdk = await UploadAsync(sdkBlobs, MessageStore.BlobPrefix(sdkUser, "read"), small);
        var largeSdk = await UploadAsync(sdkBlobs, MessageStore.BlobPrefix(sdkUser, "read"), large);
        var settingsFilter = TableFilters.RowKeyStartsWith(sdkUser.Key, UserRowKeys.SettingsOf(Namespace));
        var bigSamples = Math.Min(samples, 100);

        return
        [
            new("settings.put", "SettingsStore.PutAsync (upsert of a ~300-char JSON value) vs TableClient.UpsertEntityAsync of the same entity", samples,
                i => settings.PutAsync(storeUser, Namespace, Key(i % Settings), value, null, false, default),
                i => sdkTable.UpsertEntityAsync(new TableEntity(sdkUser.Key, UserRowKeys.ForSetting(Namespace, Key(i % Settings))) { ["Value"] = value, ["UpdatedAt"] = DateTimeOffset.UtcNow }, TableUpdateMode.Replace)),
            new("settings.get", "SettingsStore.GetAsync vs TableClient.GetEntityIfExistsAsync", samples,
                i => settings.GetAsync(storeUser, Namespace, Key(i % Settings), default),
                i => sdkTable.GetEntityIfExistsAsync<TableEntity>(sdkUser.Key, UserRowKeys.ForSetting(Namespace, Key(i % Settings)))),
            new("settings.list_100", "SettingsStore.ListAsync, a page of 100 vs TableClient.QueryAsync, the first page of 100 (same filter)", samples,
                _ => settings.ListAsync(storeUser, Namespace, 100, null, default),
                async _ =>
                {
                    await foreach (var page in sdkTable.QueryAsync<TableEntity>(settingsFilter, 100).AsPages(pageSizeHint: 100))
                    {
                        return;
                    }
                }),
            new("messages.append_1", "MessageStore.AppendAsync of one ~300-char message vs the same thread read + SubmitTransactionAsync (thread, activity row moved, message)", samples,
                i => messages.AppendAsync(storeUser, "append", [new NewMessage(null, "user", ChatText.Make(i, 300), null, "model-x", 120, null, 0.001, null)], default),
                i => AppendWithSdkAsync(sdkTable, sdkUser, "append", ChatText.Make(i, 300))),
            new("messages.list_20", "MessageStore.ListAsync, 20 messages from a cursor vs TableClient.QueryAsync of the same sequence range (page of 20)", samples,
                i => messages.ListAsync(storeUser, listThread, false, 20, Start(i), default),
                async i =>
                {
                    var filter = TableClient.CreateQueryFilter(
                        $"PartitionKey eq {sdkUser.Key} and RowKey ge {UserRowKeys.ForMessage("list", Start(i) + 1)} and RowKey le {UserRowKeys.ForMessage("list", Start(i) + 20)}");
                    await foreach (var page in sdkTable.QueryAsync<TableEntity>(filter, 20).AsPages(pageSizeHint: 20))
                    {
                        return;
                    }
                }),
            new("payload.write_16kib", "PayloadStore.WriteAsync of 16 KiB of chat text (Brotli 4, hashed, create-only) vs BlockBlobClient.UploadAsync of the same compressed bytes, headers and metadata", samples,
                _ => payloads.WriteAsync(MessageStore.BlobPrefix(storeUser, "write"), new MemoryStream(small.Raw), "text/plain; charset=utf-8"),
                _ => UploadAsync(sdkBlobs, MessageStore.BlobPrefix(sdkUser, "write"), small)),
            new("payload.write_1mib", "as payload.write_16kib with 1 MiB", bigSamples,
                _ => payloads.WriteAsync(MessageStore.BlobPrefix(storeUser, "write"), new MemoryStream(large.Raw), "text/plain; charset=utf-8"),
                _ => UploadAsync(sdkBlobs, MessageStore.BlobPrefix(sdkUser, "write"), large)),
            new("payload.write_1mib_same_work", "PayloadStore.WriteAsync of 1 MiB vs the same work written directly: BrotliStream (quality 4) into memory, SHA-256, BlockBlobClient.UploadAsync", bigSamples,
                _ => payloads.WriteAsync(MessageStore.BlobPrefix(storeUser, "write"), new MemoryStream(large.Raw), "text/plain; charset=utf-8"),
                _ => CompressAndUploadAsync(sdkBlobs, MessageStore.BlobPrefix(sdkUser, "write"), large.Raw)),
            new("payload.read_16kib", "PayloadStore.ReadAllTextAsync (download, inflate, length and SHA-256 checked) vs BlobClient.DownloadContentAsync of the compressed blob", samples,
                _ => payloads.ReadAllTextAsync(smallRef, default),
                _ => sdkBlobs.GetBlobClient(smallSdk).DownloadContentAsync()),
            new("payload.read_1mib", "as payload.read_16kib with 1 MiB", bigSamples,
                _ => payloads.ReadAllTextAsync(largeRef, default),
                _ => sdkBlobs.GetBlobClient(largeSdk).DownloadContentAsync()),
            new("payload.read_1mib_same_work", "PayloadStore.ReadAllTextAsync of 1 MiB vs the same work written directly: DownloadStreamingAsync, BrotliStream, SHA-256, UTF-8 text", bigSamples,
                _ => payloads.ReadAllTextAsync(largeRef, default),
                _ => DownloadAndInflateAsync(sdkBlobs.GetBlobClient(largeSdk))),
        ];
    }

    private static string Key(int i) => "key" + i.ToString("D3", CultureInfo.InvariantCulture);

    /// <summary>Where iteration <paramref name="i"/>'s page starts: after one of the first 380 sequence numbers.</summary>
    private static long Start(int i) => (i * 37L) % (SeededMessages - 20);

    private static async Task<ThreadRecord> SeedThreadAsync(TableClient table, UserPartition user, string threadId, MessageStore messages, ExpiryIndex expiry)
    {
        await new ThreadStore(table, TimeProvider.System, expiry).CreateAsync(user, ThreadRecord.New(threadId, null, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);
        AppendResult? last = null;
        for (var batch = 0; batch < SeededMessages / 80; batch++)
        {
            last = await messages.AppendAsync(user, threadId, Enumerable.Range(0, 80).Select(i => new NewMessage(null, "assistant", ChatText.Make((batch * 80) + i, 300), null, "model-x", 10, 20, 0.001, null)).ToList(), default);
        }

        return last!.Thread;
    }

    /// <summary>The requests <see cref="MessageStore.AppendAsync"/> sends for one message, written against the SDK directly.</summary>
    private static async Task AppendWithSdkAsync(TableClient table, UserPartition user, string threadId, string content)
    {
        var thread = (await table.GetEntityIfExistsAsync<TableEntity>(user.Key, UserRowKeys.ForThread(threadId))).Value!;
        var next = thread.GetInt64("NextSeq")!.Value;
        var previous = thread.GetDateTimeOffset("LastActivityAt")!.Value;
        var now = DateTimeOffset.UtcNow;
        now = now > previous ? now : previous.AddTicks(1);
        var updated = new TableEntity(thread)
        {
            ["NextSeq"] = next + 1,
            ["MessageCount"] = thread.GetInt64("MessageCount")!.Value + 1,
            ["PromptTokens"] = thread.GetInt64("PromptTokens")!.Value + 120,
            ["Cost"] = thread.GetDouble("Cost")!.Value + 0.001,
            ["LastActivityAt"] = now,
            ["UpdatedAt"] = now,
        };
        var recent = new TableEntity(updated) { RowKey = UserRowKeys.ForRecent(now, threadId) };
        var message = new TableEntity(user.Key, UserRowKeys.ForMessage(threadId, next))
        {
            ["Role"] = "user", ["Model"] = "model-x", ["PromptTokens"] = 120L, ["Cost"] = 0.001, ["CreatedAt"] = now, ["Content"] = content,
        };
        await table.SubmitTransactionAsync(
        [
            new(TableTransactionActionType.UpdateReplace, updated, thread.ETag),
            new(TableTransactionActionType.Delete, new TableEntity(user.Key, UserRowKeys.ForRecent(previous, threadId)), ETag.All),
            new(TableTransactionActionType.Add, recent),
            new(TableTransactionActionType.Add, message),
        ]);
    }

    /// <summary>Raw chat text, and what the store would upload for it: the compressed bytes, headers and metadata.</summary>
    private static CompressedPayload Payload(int bytes)
    {
        var raw = Encoding.UTF8.GetBytes(ChatText.Make(bytes, bytes))[..bytes];
        var codec = PayloadStoreOptions.DefaultCodec;
        using var compressed = new MemoryStream();
        using (var compressing = codec.Compress(compressed))
        {
            compressing.Write(raw);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["codec"] = codec.Name,
            ["rawbytes"] = raw.Length.ToString(CultureInfo.InvariantCulture),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(raw)),
        };
        return new CompressedPayload(raw, compressed.ToArray(), codec, metadata);
    }

    private static async Task<string> UploadAsync(BlobContainerClient container, string prefix, CompressedPayload payload)
    {
        var name = $"{prefix}/{RandomNumberGenerator.GetHexString(32, lowercase: true)}{payload.Codec.FileExtension}";
        await container.GetBlockBlobClient(name).UploadAsync(new MemoryStream(payload.Compressed), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain; charset=utf-8", ContentEncoding = payload.Codec.ContentEncoding },
            Metadata = payload.Metadata,
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        });
        return name;
    }

    private static async Task CompressAndUploadAsync(BlobContainerClient container, string prefix, byte[] raw)
    {
        using var compressed = new MemoryStream();
        using (var brotli = new BrotliStream(compressed, new BrotliCompressionOptions { Quality = 4 }, leaveOpen: true))
        {
            brotli.Write(raw);
        }

        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["codec"] = "br4",
            ["rawbytes"] = raw.Length.ToString(CultureInfo.InvariantCulture),
            ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(raw)),
        };
        compressed.Position = 0;
        await container.GetBlockBlobClient($"{prefix}/{RandomNumberGenerator.GetHexString(32, lowercase: true)}.br").UploadAsync(compressed, new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/plain; charset=utf-8", ContentEncoding = "br" },
            Metadata = metadata,
            Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All },
        });
    }

    private static async Task<string> DownloadAndInflateAsync(BlobClient blob)
    {
        var download = (await blob.DownloadStreamingAsync()).Value;
        using var raw = new MemoryStream();
        await using (var brotli = new BrotliStream(download.Content, CompressionMode.Decompress))
        {
            await brotli.CopyToAsync(raw);
        }

        var bytes = raw.ToArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes)) == download.Details.Metadata["sha256"]
            ? Encoding.UTF8.GetString(bytes)
            : throw new InvalidDataException("hash mismatch");
    }

    private sealed record CompressedPayload(byte[] Raw, byte[] Compressed, PayloadCodec Codec, Dictionary<string, string> Metadata);
}
