namespace Serverless.Storage.Conversations;

/// <summary>Which threads a list shows.</summary>
/// <param name="Archived">Only archived (true) or only not archived (false) threads; null for both.</param>
/// <param name="Starred">Only starred (true) or only not starred (false) threads; null for both.</param>
/// <param name="Deleted">Soft-deleted threads (the trash) instead of live ones.</param>
public sealed record ThreadFilter(bool? Archived, bool? Starred, bool Deleted);

/// <summary>The order of a thread list; both run newest first.</summary>
public enum ThreadOrder
{
    /// <summary>By last activity (last append, else creation).</summary>
    Recent,

    /// <summary>By creation time.</summary>
    Created,
}
