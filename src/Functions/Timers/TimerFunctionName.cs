using Serverless.Functions.FunctionMetadata;

namespace Serverless.Functions.Timers;

/// <summary>
/// A timer's name is a function name (its <c>function.json</c> folder and the host's POST path), so it
/// follows <see cref="FunctionNames"/>: checked when the job is registered rather than at publish time.
/// </summary>
public static class TimerFunctionName
{
    /// <summary>Throws unless <paramref name="name"/> is a valid function name.</summary>
    /// <exception cref="ArgumentException">The name is not a valid function name.</exception>
    public static void Check(string? name, string paramName = "name")
    {
        if (!FunctionNames.IsValid(name))
        {
            throw new ArgumentException(
                $"'{name}' is not a valid function name: start with a letter and use only letters, digits, '_' and '-', at most {FunctionNames.MaxLength} characters.",
                paramName);
        }
    }
}
