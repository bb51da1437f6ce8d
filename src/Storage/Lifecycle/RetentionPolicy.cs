namespace Serverless.Storage.Lifecycle;

/// <summary>
/// The deployment's retentions: each rule's <see cref="RetentionRule.DefaultRetention"/> unless configured otherwise
/// (<c>Conversations:RestoreWindow</c> for deleted threads, <c>Lifecycle:DeletedMissionRetention</c> for deleted
/// missions' run logs), then per user the <c>_retention</c> settings (<see cref="RetentionSettings"/>) for the rules
/// that allow it.
/// </summary>
public sealed class RetentionPolicy
{
    private readonly Dictionary<string, TimeSpan> configured;

    /// <summary>A policy with the rules' defaults, except where <paramref name="configured"/> names a rule.</summary>
    /// <exception cref="ArgumentException">A name is not a rule, or a retention is negative.</exception>
    public RetentionPolicy(IReadOnlyDictionary<string, TimeSpan>? configured = null)
    {
        this.configured = new Dictionary<string, TimeSpan>(configured ?? new Dictionary<string, TimeSpan>(), StringComparer.Ordinal);
        foreach (var (name, retention) in this.configured)
        {
            if (RetentionRules.Named(name) is null || retention < TimeSpan.Zero)
            {
                throw new ArgumentException($"'{name}' is not a retention rule, or its retention is negative.", nameof(configured));
            }
        }
    }

    /// <summary>
    /// The policy of a deployment: deleted threads go after <paramref name="restoreWindow"/>, deleted missions' runs after
    /// <paramref name="deletedMissionRetention"/>, autosave slots <paramref name="autosaveExpiry"/> after their last save (the rule's default when null).
    /// </summary>
    public static RetentionPolicy Of(TimeSpan restoreWindow, TimeSpan deletedMissionRetention, TimeSpan? autosaveExpiry = null) => new(new Dictionary<string, TimeSpan>
    {
        [RetentionRules.DeletedThread.Name] = restoreWindow,
        [RetentionRules.DeletedMission.Name] = deletedMissionRetention,
        [RetentionRules.Autosave.Name] = autosaveExpiry ?? RetentionRules.Autosave.DefaultRetention,
    });

    /// <summary>The deployment's retention for <paramref name="rule"/>.</summary>
    public TimeSpan DefaultFor(RetentionRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return configured.TryGetValue(rule.Name, out var retention) ? retention : rule.DefaultRetention;
    }

    /// <summary>The retention for <paramref name="rule"/> for a user whose <c>_retention</c> settings are <paramref name="user"/>.</summary>
    public TimeSpan For(RetentionRule rule, RetentionSettings user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return rule.UserOverridable && user.Override(rule) is { } chosen ? chosen : DefaultFor(rule);
    }
}
