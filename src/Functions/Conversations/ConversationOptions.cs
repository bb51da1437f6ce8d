namespace Serverless.Functions.Conversations;

/// <summary>Conversation settings (configuration section <c>Conversations</c>).</summary>
public sealed class ConversationOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Conversations";

    /// <summary>How long a deleted thread can be restored; retention purges it afterwards. Default 30 days.</summary>
    public TimeSpan RestoreWindow { get; set; } = TimeSpan.FromDays(30);
}
