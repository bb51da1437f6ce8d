using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Serverless.Functions.Integrations;

namespace Serverless.Functions.Missions;

/// <summary>Checks a <see cref="MissionWrite"/> and turns it into a stored <see cref="MissionDefinition"/>.</summary>
public static partial class MissionValidator
{
    /// <summary>Most extra headers per mission.</summary>
    public const int MaxHeaders = 10;

    /// <summary>Longest URL.</summary>
    public const int MaxUrlLength = 2048;

    /// <summary>Occurrences sampled to check the minimum interval of a cron schedule.</summary>
    private const int GapSample = 50;

    private static readonly HashSet<string> ReservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "host", "content-length", "content-type", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer", "expect",
        "user-agent", "cookie", "authorization-info",
    };

    /// <summary>Validates; returns the definition or the failing fields.</summary>
    public static MissionDefinition? Validate(MissionWrite body, MissionOptions options, DateTimeOffset anchor, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var name = body.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 200 || name.Any(char.IsControl))
        {
            errors["name"] = ["name is required: 1 to 200 characters, no control characters."];
        }

        var zone = string.IsNullOrWhiteSpace(body.TimeZone) ? "UTC" : body.TimeZone.Trim();
        if (!MissionSchedule.TryCreate(body.Cron, body.IntervalSeconds, zone, body.StartAt, body.EndAt, anchor, out var schedule, out var scheduleError))
        {
            errors[scheduleError!.Value.Field] = [scheduleError.Value.Message];
        }
        else if (schedule!.ShortestGap(now, GapSample) is { } gap && gap < options.MinInterval)
        {
            errors[body.Cron is null ? "intervalSeconds" : "cron"] = [$"The schedule fires more often than the minimum interval of {options.MinInterval}."];
        }

        var policy = body.MissedRunPolicy switch
        {
            null or "skip" => MissedRunPolicy.Skip,
            "runOnce" => MissedRunPolicy.RunOnce,
            "catchUp" => MissedRunPolicy.CatchUp,
            _ => (MissedRunPolicy?)null,
        };
        if (policy is null)
        {
            errors["missedRunPolicy"] = ["missedRunPolicy must be 'skip', 'runOnce' or 'catchUp'."];
        }

        var maxCatchUp = body.MaxCatchUp ?? (policy == MissedRunPolicy.CatchUp ? Math.Min(3, options.MaxCatchUp) : 0);
        if (maxCatchUp < 0 || maxCatchUp > options.MaxCatchUp || (policy == MissedRunPolicy.CatchUp && maxCatchUp < 1))
        {
            errors["maxCatchUp"] = [$"maxCatchUp must be from 1 to {options.MaxCatchUp} with catchUp (0 otherwise)."];
        }

        if (CheckUrl(body.Url, options) is { } urlError)
        {
            errors["url"] = [urlError];
        }

        var headers = body.Headers ?? [];
        if (headers.Count > MaxHeaders)
        {
            errors["headers"] = [$"At most {MaxHeaders} headers."];
        }
        else if (headers.Select(h => CheckHeader(h.Key, h.Value)).FirstOrDefault(e => e is not null) is { } headerError)
        {
            errors["headers"] = [headerError];
        }

        var payloadJson = body.Payload.ValueKind == JsonValueKind.Undefined ? "null" : JsonSerializer.Serialize(body.Payload);
        if (Encoding.UTF8.GetByteCount(payloadJson) > options.MaxPayloadBytes)
        {
            errors["payload"] = [$"payload must serialize to at most {options.MaxPayloadBytes} bytes of JSON."];
        }

        if (errors.Count > 0)
        {
            return null;
        }

        return new MissionDefinition
        {
            Name = name!,
            Cron = body.Cron is null ? null : string.Join(' ', body.Cron.Split(' ', StringSplitOptions.RemoveEmptyEntries)),
            IntervalSeconds = body.IntervalSeconds,
            TimeZone = zone,
            StartAt = body.StartAt?.ToUniversalTime(),
            EndAt = body.EndAt?.ToUniversalTime(),
            MissedRunPolicy = policy!.Value,
            MaxCatchUp = policy == MissedRunPolicy.CatchUp ? maxCatchUp : 0,
            Url = body.Url!,
            Headers = new Dictionary<string, string>(headers, StringComparer.OrdinalIgnoreCase),
            PayloadJson = payloadJson,
        };
    }

    /// <summary>
    /// Whether <paramref name="uri"/>'s <c>host:port</c> is on the local allow-list, or names a loopback host while
    /// <see cref="MissionOptions.AllowLoopbackTargets"/> is on (the connect still checks every resolved address).
    /// </summary>
    public static bool IsAllowListed(Uri uri, MissionOptions options)
    {
        ArgumentNullException.ThrowIfNull(uri);
        ArgumentNullException.ThrowIfNull(options);
        return IsAllowListed(uri.IdnHost, uri.Port, options) || (options.AllowLoopbackTargets && uri.IsLoopback);
    }

    /// <summary>Whether <c>host:port</c> is on the local allow-list.</summary>
    public static bool IsAllowListed(string host, int port, MissionOptions options)
    {
        var target = $"{host.Trim('[', ']')}:{port}";
        return options.AllowedLocalTargets.Any(t => string.Equals(t.Trim(), target, StringComparison.OrdinalIgnoreCase));
    }

    private static string? CheckUrl(string? url, MissionOptions options)
    {
        if (string.IsNullOrWhiteSpace(url) || url.Length > MaxUrlLength || !Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return $"url is required: an absolute URL of at most {MaxUrlLength} characters.";
        }

        var allowListed = IsAllowListed(uri, options);
        if (uri.Scheme != Uri.UriSchemeHttps && !(uri.Scheme == Uri.UriSchemeHttp && allowListed))
        {
            return "url must use https (http only for allow-listed local targets).";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "url must not contain credentials; use headers.";
        }

        if (!allowListed && IPAddress.TryParse(uri.IdnHost.Trim('[', ']'), out var ip) && AddressClassifier.IsBlocked(ip, out var reason))
        {
            return $"url must point to a public address, not {reason}.";
        }

        if (!allowListed && uri.IsLoopback)
        {
            return "url must point to a public address, not loopback.";
        }

        return null;
    }

    private static string? CheckHeader(string name, string value)
    {
        if (!HeaderName().IsMatch(name))
        {
            return "Header names must be 1 to 64 token characters.";
        }

        if (ReservedHeaders.Contains(name) || name.StartsWith("webhook-", StringComparison.OrdinalIgnoreCase) || name.StartsWith("proxy-", StringComparison.OrdinalIgnoreCase))
        {
            return $"Header '{name}' is set by the sender and cannot be overridden.";
        }

        if (value is null || value.Length > 1024 || !HeaderValue().IsMatch(value))
        {
            return $"Header '{name}': values must be at most 1,024 printable ASCII characters.";
        }

        if (SecretReferences.Error(value) is { } reference)
        {
            return $"Header '{name}': {reference}";
        }

        return null;
    }

    [GeneratedRegex("^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$")]
    private static partial Regex HeaderName();

    [GeneratedRegex("^[\\x20-\\x7E]*$")]
    private static partial Regex HeaderValue();
}
