using System.Globalization;

namespace Serverless.Bench;

/// <summary>
/// The <c>--name value</c> (or <c>--name=value</c>) options that follow a suite name.
/// Parsing is separate from reading so a suite can reject unknown names before it starts
/// a run that takes minutes.
/// </summary>
internal sealed class BenchOptions
{
    private readonly Dictionary<string, string> values;

    private BenchOptions(Dictionary<string, string> values) => this.values = values;

    public IEnumerable<string> Names => values.Keys;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new BenchUsageException($"expected an option such as --name value, got '{arg}'");
            }

            string name, value;
            var equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                (name, value) = (arg[2..equals], arg[(equals + 1)..]);
            }
            else if (i + 1 < args.Count)
            {
                (name, value) = (arg[2..], args[++i]);
            }
            else
            {
                throw new BenchUsageException($"option --{arg[2..]} needs a value");
            }

            if (!values.TryAdd(name, value))
            {
                throw new BenchUsageException($"option --{name} given twice");
            }
        }

        return new BenchOptions(values);
    }

    public string? GetString(string name) => values.GetValueOrDefault(name);

    public int GetInt(string name, int defaultValue, int min, int max)
    {
        if (!values.TryGetValue(name, out var text))
        {
            return defaultValue;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            throw new BenchUsageException($"--{name} must be an integer from {min} to {max}, got '{text}'");
        }

        return value;
    }
}
