using System.Text.RegularExpressions;

namespace Serverless.Functions.Timers;

/// <summary>The rules for a function name, which is also the folder of its <c>function.json</c> and the host's POST path.</summary>
public static partial class TimerFunctionName
{
    /// <summary>The longest name accepted: 128 characters, the Functions limit.</summary>
    public const int MaxLength = 128;

    /// <summary>Whether <paramref name="name"/> is a valid function name: a letter, then up to 127 letters, digits, <c>_</c> or <c>-</c>.</summary>
    public static bool IsValid(string? name) => name is not null && Pattern().IsMatch(name);

    /// <summary>Throws unless <paramref name="name"/> <see cref="IsValid">is valid</see>.</summary>
    /// <exception cref="ArgumentException">The name is not a valid function name.</exception>
    public static void Check(string? name, string paramName = "name")
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid function name: start with a letter and use only letters, digits, '_' and '-', at most {MaxLength} characters.",
                paramName);
        }
    }

    // \z, not $: $ also matches before a trailing newline.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_\-]{0,127}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
