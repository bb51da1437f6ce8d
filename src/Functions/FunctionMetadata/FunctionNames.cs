using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// Function names: what the host accepts, and the readable, stable name of an HTTP route. A name is
/// a folder name and, for timers, a URL path, so it is kept to a conservative alphabet.
/// </summary>
public static partial class FunctionNames
{
    /// <summary>
    /// The longest name generated or accepted. The host's own check appears to allow 128; one less
    /// costs nothing and stays inside every limit seen documented.
    /// </summary>
    public const int MaxLength = 127;

    /// <summary>
    /// The API version segment left out of names. Names of the current version stay short; a later
    /// version's routes keep their segment (<c>v2-settings-namespace</c>), so adding one renames nothing.
    /// </summary>
    public const string UnnamedVersionSegment = "v1";

    /// <summary>True when the host accepts <paramref name="name"/>: a letter, then letters, digits, <c>_</c> or <c>-</c>, at most 127 in all.</summary>
    public static bool IsValid(string? name) => name is not null && ValidName().IsMatch(name);

    /// <summary>
    /// The name of the function serving <paramref name="route"/> (a route below the <c>api</c>
    /// prefix): its segments' literals and parameter names, lower case, joined by <c>-</c>. So
    /// <c>v1/settings/{namespace}/{key:guid}</c> is <c>settings-namespace-key</c>.
    /// </summary>
    /// <exception cref="InvalidOperationException">No valid name comes out of the route.</exception>
    public static string ForRoute(string route)
    {
        var pattern = RoutePatternFactory.Parse(route);
        var segments = pattern.PathSegments.AsEnumerable();
        if (pattern.PathSegments.Count > 1
            && pattern.PathSegments[0].IsSimple
            && pattern.PathSegments[0].Parts[0] is RoutePatternLiteralPart { Content: UnnamedVersionSegment })
        {
            segments = segments.Skip(1);
        }

        var words = new List<string>();
        foreach (var segment in segments)
        {
            foreach (var part in segment.Parts)
            {
                var text = part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart parameter => parameter.Name,
                    _ => string.Empty,
                };
                words.AddRange(NotNameCharacters().Split(text.ToLowerInvariant()).Where(w => w.Length > 0));
            }
        }

        var name = new StringBuilder().AppendJoin('-', words).ToString();
        if (!IsValid(name))
        {
            throw new InvalidOperationException(
                $"The route 'api/{route}' gives the function name '{name}', which the host does not accept " +
                $"(a letter, then letters, digits, '_' or '-', at most {MaxLength}). Change the route.");
        }

        return name;
    }

    // \z, not $: $ would also accept a name ending in a newline.
    [GeneratedRegex(@"^[A-Za-z][A-Za-z0-9_-]{0,126}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ValidName();

    [GeneratedRegex("[^a-z0-9]+")]
    private static partial Regex NotNameCharacters();
}
