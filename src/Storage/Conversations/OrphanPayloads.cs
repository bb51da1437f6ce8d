using Serverless.Storage.Blobs;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Conversations;

/// <summary>
/// Finds message payload blobs that no row references: left behind when an append uploaded its
/// blobs and then failed or crashed before its transaction committed, or replayed an earlier
/// append. Retention deletes what this finds.
/// </summary>
public sealed class OrphanPayloads(TableClient table, BlobContainerClient container)
{
    /// <summary>
    /// The user's message blobs that no message row references and that are older than
    /// <paramref name="grace"/> (younger ones may belong to an append still in flight).
    /// </summary>
    /// <remarks>Cost: one scan of the user's message rows (only the blob columns) and one listing of the user's message blobs.</remarks>
    public async Task<IReadOnlyList<string>> FindAsync(UserPartition user, TimeSpan grace, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        var referenced = new HashSet<string>(StringComparer.Ordinal);
        var rows = await table.QueryAllAsync(
            ODataFilter.RowKeyStartsWith(user.Key, UserRowKeys.Messages),
            [MessageEntities.Content + "Blob", MessageEntities.ToolCalls + "Blob"],
            cancellationToken).ConfigureAwait(false);
        foreach (var row in rows)
        {
            foreach (var field in new[] { MessageEntities.Content, MessageEntities.ToolCalls })
            {
                if (row.GetString(field + "Blob") is { } name)
                {
                    referenced.Add(name);
                }
            }
        }

        var blobs = await container.ListAllAsync($"{user.Key}/msg/", cancellationToken).ConfigureAwait(false);
        return blobs.Where(b => !referenced.Contains(b.Name) && b.LastModified <= now - grace).Select(b => b.Name).ToList();
    }
}
