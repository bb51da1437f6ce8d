using System.Globalization;
using System.Text.Json;

namespace Serverless.Functions.Timers;

/// <summary>The timer binding's value, <c>Data.timer</c> of the host's payload.</summary>
/// <param name="AdjustForDst"><c>Schedule.AdjustForDST</c>; <c>false</c> when absent.</param>
/// <param name="ScheduleStatus"><c>ScheduleStatus</c>, <c>null</c> when absent or null.</param>
/// <param name="IsPastDue"><c>IsPastDue</c>.</param>
internal sealed record TimerBindingData(bool AdjustForDst, TimerScheduleStatus? ScheduleStatus, bool IsPastDue);

/// <summary>The host's <c>Metadata.sys</c>; every part optional.</summary>
/// <param name="MethodName">The function name as the host knows it.</param>
/// <param name="UtcNow">The host's clock when it built the invocation.</param>
/// <param name="RandGuid">A random GUID per invocation.</param>
internal sealed record HostSystemMetadata(string? MethodName, DateTimeOffset? UtcNow, string? RandGuid);

/// <summary>
/// The host's timer invocation, <c>{"Data":{"timer":{…}},"Metadata":{…}}</c> (functions-host.md §3),
/// parsed once into typed values. Property names match without regard to case, as the host's
/// serializer does not promise one.
/// </summary>
/// <param name="Timer">The binding value.</param>
/// <param name="System">What the host says about the invocation.</param>
internal sealed record TimerHostRequest(TimerBindingData Timer, HostSystemMetadata System)
{
    /// <summary>Parses <paramref name="root"/>; on failure returns <c>null</c> and fills <paramref name="errors"/> (field path → messages).</summary>
    /// <remarks>
    /// Strict where the job's input is concerned (<c>Data.timer</c>: its shape, <c>IsPastDue</c> and the
    /// status dates), lenient about <c>Metadata</c>, which only refines <see cref="TimerInvocation.FiredAt"/>.
    /// </remarks>
    public static TimerHostRequest? Parse(JsonElement root, IDictionary<string, string[]> errors)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["$"] = ["The body must be a JSON object {Data, Metadata}."];
            return null;
        }

        if (!TryGet(root, "Data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            errors["Data"] = ["Data must be an object keyed by binding name."];
            return null;
        }

        if (!TryGet(data, TimerRegistry.BindingName, out var timer))
        {
            errors["Data.timer"] = ["The timer binding's value is missing."];
            return null;
        }

        // Defensive: binding data the host holds as text would arrive as a JSON string; accept the object inside.
        using var reparsed = timer.ValueKind == JsonValueKind.String ? TryParseJson(timer.GetString()) : null;
        if (reparsed is not null)
        {
            timer = reparsed.RootElement;
        }

        if (timer.ValueKind != JsonValueKind.Object)
        {
            errors["Data.timer"] = ["The timer binding's value must be an object {Schedule, ScheduleStatus, IsPastDue}."];
            return null;
        }

        var isPastDue = false;
        if (!TryGet(timer, "IsPastDue", out var pastDue) || pastDue.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            errors["Data.timer.IsPastDue"] = ["IsPastDue must be true or false."];
        }
        else
        {
            isPastDue = pastDue.GetBoolean();
        }

        var adjustForDst = false;
        if (TryGet(timer, "Schedule", out var schedule) && schedule.ValueKind != JsonValueKind.Null)
        {
            if (schedule.ValueKind != JsonValueKind.Object)
            {
                errors["Data.timer.Schedule"] = ["Schedule must be an object."];
            }
            else if (TryGet(schedule, "AdjustForDST", out var adjust) && adjust.ValueKind != JsonValueKind.Null)
            {
                if (adjust.ValueKind is JsonValueKind.True or JsonValueKind.False)
                {
                    adjustForDst = adjust.GetBoolean();
                }
                else
                {
                    errors["Data.timer.Schedule.AdjustForDST"] = ["AdjustForDST must be true or false."];
                }
            }
        }

        TimerScheduleStatus? status = null;
        if (TryGet(timer, "ScheduleStatus", out var statusElement) && statusElement.ValueKind != JsonValueKind.Null)
        {
            if (statusElement.ValueKind != JsonValueKind.Object)
            {
                errors["Data.timer.ScheduleStatus"] = ["ScheduleStatus must be an object or null."];
            }
            else
            {
                var last = ReadTime(statusElement, "Last", errors);
                var next = ReadTime(statusElement, "Next", errors);
                var updated = ReadTime(statusElement, "LastUpdated", errors);
                if (last is { } l && next is { } n && updated is { } u)
                {
                    // The host's "never ran" is DateTime's default value, 0001-01-01T00:00:00.
                    status = new TimerScheduleStatus(l == DateTimeOffset.MinValue ? null : l, n, u);
                }
            }
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new TimerHostRequest(new TimerBindingData(adjustForDst, status, isPastDue), ReadSystem(root));
    }

    private static HostSystemMetadata ReadSystem(JsonElement root)
    {
        if (!TryGet(root, "Metadata", out var metadata) || metadata.ValueKind != JsonValueKind.Object
            || !TryGet(metadata, "sys", out var sys) || sys.ValueKind != JsonValueKind.Object)
        {
            return new HostSystemMetadata(null, null, null);
        }

        return new HostSystemMetadata(
            TryGet(sys, "MethodName", out var method) && method.ValueKind == JsonValueKind.String ? method.GetString() : null,
            TryGet(sys, "UtcNow", out var now) && now.ValueKind == JsonValueKind.String && ParseTime(now.GetString()) is { } time && time != DateTimeOffset.MinValue ? time : null,
            TryGet(sys, "RandGuid", out var guid) && guid.ValueKind == JsonValueKind.String ? guid.GetString() : null);
    }

    private static DateTimeOffset? ReadTime(JsonElement status, string name, IDictionary<string, string[]> errors)
    {
        if (TryGet(status, name, out var value) && value.ValueKind == JsonValueKind.String && ParseTime(value.GetString()) is { } time)
        {
            return time;
        }

        errors["Data.timer.ScheduleStatus." + name] = [$"{name} must be an ISO-8601 date and time."];
        return null;
    }

    /// <summary>ISO-8601; a time without an offset is UTC (the host's clock is UTC, and it writes 0001-01-01T00:00:00 bare).</summary>
    private static DateTimeOffset? ParseTime(string? text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time) ? time : null;

    private static JsonDocument? TryParseJson(string? text)
    {
        try
        {
            return text is null ? null : JsonDocument.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryGet(JsonElement element, string name, out JsonElement value)
    {
        if (element.TryGetProperty(name, out value))
        {
            return true;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
    }
}
