using System.Globalization;
using System.Text.Json;
using Serverless.Storage.Users;

namespace Serverless.Storage.Lifecycle;

/// <summary>
/// A user's own retentions: settings in the reserved namespace <c>_retention</c>, one per rule, the key being the
/// rule's name and the value a JSON number of days (fractions allowed), e.g.
/// <c>PUT /api/v1/settings/_retention/thread.deleted {"value": 7}</c>. Only rules with
/// <see cref="RetentionRule.UserOverridable"/> read them; a missing, null or malformed value (not a number, negative)
/// means the deployment's default. Values above <see cref="MaxDays"/> count as that many.
/// </summary>
/// <remarks>
/// A longer retention applies to everything at the sweep's re-check. A shorter one applies to what becomes
/// expirable after the change: the expiry index entry is written when a thread or mission is deleted, with the
/// retention read then.
/// </remarks>
public sealed class RetentionSettings
{
    /// <summary>The settings namespace that holds retention overrides.</summary>
    public const string Namespace = "_retention";

    /// <summary>The longest retention a setting can ask for: 100 years.</summary>
    public const double MaxDays = 36_500;

    private readonly Dictionary<string, TimeSpan> overrides;

    private RetentionSettings(Dictionary<string, TimeSpan> overrides) => this.overrides = overrides;

    /// <summary>No overrides.</summary>
    public static RetentionSettings None { get; } = new(new Dictionary<string, TimeSpan>(StringComparer.Ordinal));

    /// <summary>The user's retention for <paramref name="rule"/>, or null for the deployment's.</summary>
    public TimeSpan? Override(RetentionRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return overrides.TryGetValue(rule.Name, out var retention) ? retention : null;
    }

    /// <summary>Reads every override of a user (one query of the namespace).</summary>
    public static async Task<RetentionSettings> ReadAsync(SettingsStore settings, UserPartition user, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var found = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        var (items, _) = await settings.ListAsync(user, Namespace, RetentionRules.All.Count + 100, null, cancellationToken).ConfigureAwait(false);
        foreach (var item in items)
        {
            if (Parse(item.ValueJson) is { } retention)
            {
                found[item.Key] = retention;
            }
        }

        return new RetentionSettings(found);
    }

    /// <summary>Reads the user's override of one rule (one point read), or null.</summary>
    public static async Task<TimeSpan?> ReadAsync(SettingsStore settings, UserPartition user, RetentionRule rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(rule);
        return rule.UserOverridable && await settings.GetAsync(user, Namespace, rule.Name, cancellationToken).ConfigureAwait(false) is { } setting
            ? Parse(setting.ValueJson)
            : null;
    }

    /// <summary>A setting's value as a retention: a JSON number of days, at least 0; null otherwise.</summary>
    internal static TimeSpan? Parse(string valueJson)
    {
        try
        {
            using var document = JsonDocument.Parse(valueJson);
            return document.RootElement.ValueKind == JsonValueKind.Number && document.RootElement.TryGetDouble(out var days) && days >= 0 && double.IsFinite(days)
                ? TimeSpan.FromDays(Math.Min(days, MaxDays))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public override string ToString() => string.Join(", ", overrides.Select(o => $"{o.Key}={o.Value.TotalDays.ToString(CultureInfo.InvariantCulture)}d"));
}
