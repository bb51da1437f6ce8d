using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Serverless.Bundles;
using Serverless.Storage.Conversations;

namespace Serverless.Functions.Portability;

/// <summary>What an import does with one thread of the bundle.</summary>
internal enum ThreadDecision
{
    /// <summary>Write it under its id (new).</summary>
    Import,

    /// <summary>Replace the thread with its id.</summary>
    Overwrite,

    /// <summary>Write it under a new id, next to the one with its id.</summary>
    KeepBoth,

    /// <summary>Leave what is there: it equals the bundle's thread.</summary>
    Equal,

    /// <summary>Leave what is there: it differs, and the policy keeps it.</summary>
    Skip,

    /// <summary>Refused (the reason says why).</summary>
    Fail,
}

/// <summary>
/// One thread of a bundle as the validation pass learnt it (its line's facts, its messages' totals and a hash of its
/// content) and, once decided, what the import does with it. Threads are kept in memory by id; their messages are not.
/// </summary>
internal sealed class ThreadPlan(ThreadLine line, int depth, byte[] lineHash)
{
    /// <summary>The thread's line (titles and metadata are bounded: at most a few KiB per thread).</summary>
    public ThreadLine Line { get; } = line;

    /// <summary>Forks above it (0 for a thread that is not a fork).</summary>
    public int Depth { get; } = depth;

    public long Count { get; set; }

    public long LastSequence { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public double Cost { get; set; }

    public DateTimeOffset? LastMessageAt { get; set; }

    public IncrementalHash Messages { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>The content hash (set once its messages are read).</summary>
    public string Hash { get; private set; } = string.Empty;

    public ThreadDecision? Decision { get; set; }

    public string FinalId { get; set; } = line.Id;

    public ThreadRecord? Existing { get; set; }

    public string? FailReason { get; set; }

    public bool Cleared { get; set; }

    public long NextSequence => Line.NextSequence ?? Math.Max(LastSequence, Line.ForkSequence ?? 0) + 1;

    public DateTimeOffset UpdatedAt => Line.UpdatedAt ?? Line.CreatedAt;

    public DateTimeOffset LastActivityAt => Line.LastActivityAt ?? (LastMessageAt is { } last && last > Line.CreatedAt ? last : Line.CreatedAt);

    /// <summary>Whether its messages and row are written.</summary>
    public bool Writes => Decision is ThreadDecision.Import or ThreadDecision.Overwrite or ThreadDecision.KeepBoth;

    /// <summary>Seals the content hash once every message line has been added.</summary>
    public void Seal() => Hash = ContentHash(lineHash, UpdatedAt, LastActivityAt, NextSequence, Messages.GetHashAndReset());

    /// <summary>
    /// The hash of a line's own facts: the line without its id, parent id and derived times (they are hashed apart,
    /// normalized), absent flags as their defaults, so a line that leaves them out equals the thread it made.
    /// </summary>
    public static byte[] LineHash(ThreadLine line) => SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(
        line with
        {
            Id = string.Empty, ParentThreadId = line.ParentThreadId is null ? null : string.Empty, UpdatedAt = null, LastActivityAt = null, NextSequence = null,
            Starred = line.Starred ?? false, Archived = line.Archived ?? false,
        },
        BundleManifest.JsonOptions));

    /// <summary>The content hash of a thread: its line's facts, its normalized times and next sequence, and its messages' hash.</summary>
    public static string ContentHash(byte[] lineHash, DateTimeOffset updatedAt, DateTimeOffset lastActivityAt, long nextSequence, byte[] messagesHash)
    {
        var facts = Encoding.UTF8.GetBytes(string.Join('|', BundleFormat.Timestamp(updatedAt), BundleFormat.Timestamp(lastActivityAt), nextSequence.ToString(CultureInfo.InvariantCulture)));
        return Convert.ToHexStringLower(SHA256.HashData([.. lineHash, .. facts, .. messagesHash]));
    }
}
