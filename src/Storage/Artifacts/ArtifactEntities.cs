using Azure.Data.Tables;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Payloads;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;

namespace Serverless.Storage.Artifacts;

/// <summary>
/// The one mapping between <see cref="ArtifactRecord"/> and its rows: the artifact row and its index copies (by kind,
/// and by parent when it has one) hold the same columns, so a list page reads one row per item, and every copy
/// carries the expiry, so retention deletes them together (<see cref="RetentionRules.Artifact"/>).
/// </summary>
/// <remarks>WARNING: the column names are the stored layout.</remarks>
internal static class ArtifactEntities
{
    /// <summary>The prefix of the content's <see cref="PayloadColumns"/> (<c>ContentBlob</c>, <c>ContentType</c>, ...).</summary>
    public const string ContentColumns = "Content";

    /// <summary>When retention deletes the row; absent for never.</summary>
    public const string ExpiresAtColumn = "ExpiresAt";

    private const string KindColumn = "Kind";
    private const string NameColumn = "Name";
    private const string ParentColumn = "Parent";
    private const string StarredColumn = "Starred";
    private const string CreatedAtColumn = "CreatedAt";
    private const string UpdatedAtColumn = "UpdatedAt";

    /// <summary>The raw length column, which the quota sums.</summary>
    public static string RawBytesColumn => ContentColumns + "Bytes";

    /// <summary>The kind column, which a parent list filters on.</summary>
    public static string Kind => KindColumn;

    /// <summary>Every row of an artifact: its own row first, then its index copies.</summary>
    public static IEnumerable<TableEntity> Rows(UserPartition user, ArtifactRecord artifact) =>
        RowKeys(artifact).Select(key => Entity(user, key, artifact));

    /// <summary>The keys of an artifact's rows: its own first, then its index copies.</summary>
    public static IEnumerable<string> RowKeys(ArtifactRecord artifact)
    {
        yield return UserRowKeys.ForArtifact(artifact.Id);
        yield return UserRowKeys.ForArtifactOfKind(artifact.Kind, artifact.Id);
        if (artifact.Parent is { } parent)
        {
            yield return UserRowKeys.ForArtifactOfParent(parent, artifact.Id);
        }
    }

    /// <summary>The record a row (the artifact's own or a copy) holds.</summary>
    public static ArtifactRecord ToRecord(TableEntity entity)
    {
        var segments = KeyEncoding.Split(entity.RowKey);
        return new ArtifactRecord(
            segments[^1],
            entity.GetString(KindColumn) ?? string.Empty,
            entity.GetString(NameColumn) ?? string.Empty,
            entity.GetString(ParentColumn),
            entity.GetBoolean(StarredColumn) ?? false,
            entity.GetDateTimeOffset(ExpiresAtColumn),
            entity.GetDateTimeOffset(CreatedAtColumn) ?? DateTimeOffset.MinValue,
            entity.GetDateTimeOffset(UpdatedAtColumn) ?? DateTimeOffset.MinValue,
            PayloadColumns.Read(entity, ContentColumns) ?? throw new InvalidDataException($"Artifact row {entity.RowKey} has no content reference."),
            entity.ETag);
    }

    /// <summary>The rows that may reference the blobs of artifact <paramref name="artifactId"/>'s folder: its own row (the copies come and go with it).</summary>
    public static string RowsReferencingFolder(UserPartition user, string artifactId) =>
        TableClient.CreateQueryFilter($"PartitionKey eq {user.Key} and RowKey eq {UserRowKeys.ForArtifact(artifactId)}");

    private static TableEntity Entity(UserPartition user, string rowKey, ArtifactRecord artifact)
    {
        var entity = new TableEntity(user.Key, rowKey)
        {
            [KindColumn] = artifact.Kind,
            [NameColumn] = artifact.Name,
            [ParentColumn] = artifact.Parent,
            [StarredColumn] = artifact.Starred,
            [ExpiresAtColumn] = artifact.ExpiresAt,
            [CreatedAtColumn] = artifact.CreatedAt,
            [UpdatedAtColumn] = artifact.UpdatedAt,
        };
        PayloadColumns.Write(entity, ContentColumns, artifact.Content);
        return entity;
    }
}
