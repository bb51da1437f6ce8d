namespace Serverless.Functions.Conversations;

/// <summary>Conversation settings (configuration section <c>Conversations</c>).</summary>
public sealed class ConversationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Conversations";

    /// <summary>How long a deleted thread can be restored; retention purges it afterwards. Default 30 days.</summary>
    public TimeSpan RestoreWindow { get; set; } = TimeSpan.FromDays(30);

    /// <summary>
    /// Archive segments (97 messages each) one archive or unarchive request moves before it answers
    /// 202 and leaves the rest to the next identical request; bounds a request's time whatever the
    /// thread's length. Default 200 (19,400 messages, about 10 s on Azurite), 1 to 1,000.
    /// </summary>
    public int ArchiveSegmentsPerRequest { get; set; } = 200;
}
