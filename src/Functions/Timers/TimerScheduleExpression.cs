using System.Text.RegularExpressions;
using NCrontab;

namespace Serverless.Functions.Timers;

/// <summary>Resolves <c>%AppSetting%</c> references in a schedule and parses it as NCRONTAB, with startup errors that say what to fix.</summary>
internal static partial class TimerScheduleExpression
{
    /// <summary>A schedule must fire within this horizon, or it is taken for a mistake (e.g. February 30).</summary>
    private const int HorizonYears = 100;

    /// <summary>Resolves and parses <paramref name="expression"/> for job <paramref name="name"/>.</summary>
    /// <exception cref="InvalidOperationException">A referenced setting is missing, or the result is not a usable NCRONTAB schedule.</exception>
    public static (string Resolved, CrontabSchedule Schedule) Parse(string name, string expression, IConfiguration configuration, DateTime now)
    {
        var resolved = SettingReference().Replace(expression, match =>
        {
            var setting = match.Groups[1].Value;
            return Lookup(configuration, setting)
                ?? throw new InvalidOperationException(
                    $"Timer job '{name}': its schedule '{expression}' refers to app setting '{setting}', which is not set. Set '{setting}' (an environment variable or configuration key).");
        });
        var source = resolved == expression ? $"'{expression}'" : $"'{resolved}' (from '{expression}')";

        var fields = resolved.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (fields.Length is not (5 or 6))
        {
            throw new InvalidOperationException(
                $"Timer job '{name}': schedule {source} is not an NCRONTAB expression: it needs 6 fields ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}) or 5 (without seconds), not {fields.Length}. TimeSpan schedules are not supported.");
        }

        var normalized = string.Join(' ', fields);
        CrontabSchedule schedule;
        try
        {
            schedule = CrontabSchedule.Parse(normalized, new CrontabSchedule.ParseOptions { IncludingSeconds = fields.Length == 6 });
        }
        catch (CrontabException e)
        {
            throw new InvalidOperationException($"Timer job '{name}': schedule {source} is not a valid NCRONTAB expression: {e.Message}", e);
        }

        var horizon = now.AddYears(HorizonYears);
        if (schedule.GetNextOccurrence(now, horizon) >= horizon)
        {
            throw new InvalidOperationException($"Timer job '{name}': schedule {source} never fires (no occurrence in the next {HorizonYears} years).");
        }

        return (normalized, schedule);
    }

    /// <summary>
    /// An app setting by name. The host resolves <c>%A__B%</c> from the environment variable <c>A__B</c>,
    /// which configuration exposes as <c>A:B</c>; so try both.
    /// </summary>
    private static string? Lookup(IConfiguration configuration, string setting)
    {
        var value = configuration[setting];
        if (string.IsNullOrWhiteSpace(value) && setting.Contains("__", StringComparison.Ordinal))
        {
            value = configuration[setting.Replace("__", ":", StringComparison.Ordinal)];
        }

        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    [GeneratedRegex(@"%([^%\s]+)%", RegexOptions.CultureInvariant)]
    private static partial Regex SettingReference();
}
