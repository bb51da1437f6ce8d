using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Net.Http.Headers;
using Serverless.Functions.Api;

namespace Serverless.Functions.Artifacts;

/// <summary>
/// An upload's metadata, from its headers (the body is the content itself, streamed, so metadata cannot be JSON in it):
/// <c>Artifact-Kind</c> (required), <c>Artifact-Name</c> (required, percent-encoded UTF-8), <c>Artifact-Parent</c>,
/// <c>Artifact-Starred</c>, <c>Artifact-Expires-At</c>, and <c>Content-Type</c> (default <c>application/octet-stream</c>).
/// </summary>
/// <param name="Kind">What it is.</param>
/// <param name="Name">Its name, decoded.</param>
/// <param name="Parent">What it belongs to, or null.</param>
/// <param name="Starred">Starred.</param>
/// <param name="ExpiresAt">The expiry the client asked for, or null for the kind's default.</param>
/// <param name="ContentType">The content type to store and serve back.</param>
public sealed partial record ArtifactUpload(string Kind, string Name, string? Parent, bool Starred, DateTimeOffset? ExpiresAt, string ContentType)
{
    /// <summary>The kind header.</summary>
    public const string KindHeader = "Artifact-Kind";

    /// <summary>The name header.</summary>
    public const string NameHeader = "Artifact-Name";

    /// <summary>The parent header.</summary>
    public const string ParentHeader = "Artifact-Parent";

    /// <summary>The starred header.</summary>
    public const string StarredHeader = "Artifact-Starred";

    /// <summary>The expiry header.</summary>
    public const string ExpiresAtHeader = "Artifact-Expires-At";

    /// <summary>The kind whose artifacts expire by default (<see cref="ArtifactOptions.SnapshotRetention"/>).</summary>
    public const string SnapshotKind = "snapshot";

    /// <summary>The content type of an upload that names none.</summary>
    public const string DefaultContentType = "application/octet-stream";

    /// <summary>The longest name, in characters.</summary>
    public const int MaxNameChars = 255;

    /// <summary>The longest content type kept.</summary>
    public const int MaxContentTypeChars = 256;

    /// <summary>Reads and checks the headers; null with the failing fields when they are not acceptable.</summary>
    public static ArtifactUpload? Read(HttpRequest request, DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(request);
        errors = [];
        var headers = request.Headers;
        var kind = headers[KindHeader].ToString();
        if (!IsKind(kind))
        {
            errors[KindHeader] = [$"{KindHeader} is required: 1 to 32 of a-z 0-9 . _ - starting with a letter (snapshot, recording, diff, log, export, attachment, ...)."];
        }

        var name = DecodeName(headers[NameHeader].ToString());
        if (name is null)
        {
            errors[NameHeader] = [$"{NameHeader} is required: 1 to {MaxNameChars} characters, no control characters, percent-encoded UTF-8 (encodeURIComponent)."];
        }

        var parent = headers[ParentHeader].ToString() is { Length: > 0 } p ? p : null;
        if (parent is not null && !IsParent(parent))
        {
            errors[ParentHeader] = [$"{ParentHeader} must be 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit, e.g. thread:t1."];
        }

        var starred = headers[StarredHeader].ToString() switch
        {
            "" or "false" => false,
            "true" => true,
            _ => (bool?)null,
        };
        if (starred is null)
        {
            errors[StarredHeader] = [$"{StarredHeader} must be true or false."];
        }

        DateTimeOffset? expiresAt = null;
        if (headers[ExpiresAtHeader].ToString() is { Length: > 0 } expires)
        {
            expiresAt = DateTimeOffset.TryParse(expires, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at.ToUniversalTime() : null;
            if (ExpiryError(expiresAt, starred == true, now) is { } error)
            {
                errors[ExpiresAtHeader] = [error];
            }
        }

        var contentType = request.ContentType is { Length: > 0 } given ? given : DefaultContentType;
        if (!IsContentType(contentType))
        {
            errors["Content-Type"] = [$"Content-Type must be a media type of at most {MaxContentTypeChars} characters."];
        }

        return errors.Count > 0 ? null : new ArtifactUpload(kind, name!, parent, starred!.Value, expiresAt, contentType);
    }

    /// <summary>Why <paramref name="expiresAt"/> cannot be an artifact's expiry, or null when it can.</summary>
    public static string? ExpiryError(DateTimeOffset? expiresAt, bool starred, DateTimeOffset now) => expiresAt switch
    {
        null => "must be an ISO 8601 date and time, e.g. 2030-01-31T00:00:00Z.",
        { } at when at <= now => "must be in the future.",
        _ when starred => "A starred artifact does not expire: unstar it, or leave the expiry out.",
        _ => null,
    };

    /// <summary>Whether <paramref name="name"/> is an acceptable (decoded) artifact name: 1 to 255 characters, no control characters, no lone surrogates.</summary>
    public static bool IsName(string? name)
    {
        if (name is not { Length: > 0 and <= MaxNameChars } || name.Any(char.IsControl))
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsHighSurrogate(name[i]) && i + 1 < name.Length && char.IsLowSurrogate(name[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(name[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The decoded name, or null when the header's value is missing or not acceptable.</summary>
    private static string? DecodeName(string header)
    {
        if (header.Length == 0)
        {
            return null;
        }

        string decoded;
        try
        {
            decoded = Uri.UnescapeDataString(header);
        }
        catch (UriFormatException)
        {
            return null;
        }

        // UnescapeDataString leaves invalid UTF-8 escapes as they are; a replacement character means the client sent broken bytes.
        return IsName(decoded) && !decoded.Contains('\uFFFD', StringComparison.Ordinal) ? decoded : null;
    }

    /// <summary>Whether <paramref name="contentType"/> is a content type an artifact keeps: a media type of at most <see cref="MaxContentTypeChars"/> characters.</summary>
    public static bool IsContentType(string contentType) => contentType.Length <= MaxContentTypeChars && MediaTypeHeaderValue.TryParse(contentType, out _);

    /// <summary>Whether <paramref name="kind"/> is a kind name: 1 to 32 of a-z 0-9 . _ - starting with a letter.</summary>
    public static bool IsKind(string kind) => KindPattern().IsMatch(kind);

    /// <summary>Whether <paramref name="parent"/> is a parent name: 1 to 128 of A-Z a-z 0-9 . _ : - starting with a letter or digit.</summary>
    public static bool IsParent(string parent) => ParentPattern().IsMatch(parent);

    [GeneratedRegex("^[a-z][a-z0-9._-]{0,31}$")]
    private static partial Regex KindPattern();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
    private static partial Regex ParentPattern();
}
