namespace Serverless.Storage.Users;

/// <summary>
/// The one place that knows how payload blobs of a user are named: <c>{userKey}/{folder}/{owner}/{random}{extension}</c>,
/// where the folder says which kind of row may reference the blob and the owner is the thread or mission whose rows do.
/// Everything of a user is under <c>{userKey}/</c>, so erasure and the orphan sweep find it by listing that prefix.
/// </summary>
/// <remarks>WARNING: these folders are the stored layout. Changing one orphans existing blobs.</remarks>
public static class UserBlobNames
{
    /// <summary>Folder of a thread's offloaded message texts and archive segment blobs: <c>{userKey}/msg/{threadId}/…</c>.</summary>
    public const string Messages = "msg";

    /// <summary>Folder of a mission's stored webhook response bodies: <c>{userKey}/mrun/{missionId}/…</c>.</summary>
    public const string MissionResponses = "mrun";

    /// <summary>Folder of an export's or import's bundle and the export's staged parts: <c>{userKey}/port/{jobId}/…</c>.</summary>
    public const string Portability = "port";

    /// <summary>The prefix of every blob of a user (ends with '/', so user "ab" never matches "abc").</summary>
    public static string Of(string userKey) => userKey + "/";

    /// <summary>The folder of <paramref name="owner"/>'s blobs of kind <paramref name="folder"/>, without the trailing '/'.</summary>
    public static string Folder(string userKey, string folder, string owner) => $"{userKey}/{folder}/{owner}";

    /// <summary>Splits a blob name into user key, folder and owner; null when it does not have that shape.</summary>
    public static (string UserKey, string Folder, string Owner)? Parse(string blobName)
    {
        ArgumentNullException.ThrowIfNull(blobName);
        var parts = blobName.Split('/');
        return parts.Length == 4 && parts.All(p => p.Length > 0) ? (parts[0], parts[1], parts[2]) : null;
    }
}
