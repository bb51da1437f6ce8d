using System.Text.RegularExpressions;

namespace Serverless.Functions.Integrations;

/// <summary>One reference to an integration secret, <c>{{secret:provider/name}}</c>, in a mission's header value.</summary>
/// <param name="Provider">The integration.</param>
/// <param name="Name">The secret's name in it.</param>
public sealed record SecretReference(string Provider, string Name)
{
    /// <inheritdoc />
    public override string ToString() => $"{{{{secret:{Provider}/{Name}}}}}";
}

/// <summary>
/// Integration and secret names, and references to secrets in text: <c>{{secret:github/token}}</c>, anywhere in a
/// header value (<c>Bearer {{secret:github/token}}</c>), any number of times. Stored as written; replaced by the
/// secret's value only at delivery, in memory.
/// </summary>
public static partial class SecretReferences
{
    private const string Opening = "{{secret:";

    /// <summary>Whether <paramref name="provider"/> is an integration name: 1 to 64 of a-z 0-9 . _ - starting with a letter or digit.</summary>
    public static bool IsProvider(string provider) => Provider().IsMatch(provider);

    /// <summary>Whether <paramref name="name"/> is a secret name: 1 to 64 of A-Z a-z 0-9 . _ - starting with a letter or digit.</summary>
    public static bool IsSecretName(string name) => SecretName().IsMatch(name);

    /// <summary>The references in <paramref name="text"/>, in order.</summary>
    public static IEnumerable<SecretReference> In(string text) =>
        Reference().Matches(text).Select(m => new SecretReference(m.Groups[1].Value, m.Groups[2].Value));

    /// <summary>Replaces each reference in <paramref name="text"/> with <paramref name="value"/>'s answer for it.</summary>
    public static string Replace(string text, Func<SecretReference, string> value) =>
        Reference().Replace(text, m => value(new SecretReference(m.Groups[1].Value, m.Groups[2].Value)));

    /// <summary>What is wrong with the references in <paramref name="text"/> (a <c>{{secret:</c> that is not a whole reference), or null.</summary>
    public static string? Error(string text)
    {
        var opened = text.Split(Opening).Length - 1;
        return opened == Reference().Count(text)
            ? null
            : "a secret reference must be {{secret:provider/name}} (provider: 1 to 64 of a-z 0-9 . _ -; name: 1 to 64 of A-Z a-z 0-9 . _ -).";
    }

    [GeneratedRegex(@"\{\{secret:([a-z0-9][a-z0-9._-]{0,63})/([A-Za-z0-9][A-Za-z0-9._-]{0,63})\}\}")]
    private static partial Regex Reference();

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex Provider();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex SecretName();
}
