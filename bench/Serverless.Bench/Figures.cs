using System.Globalization;

namespace Serverless.Bench;

/// <summary>
/// Writes results to stdout as <c>name: value</c> lines and <c># comment</c> lines, flushed at
/// once so a long run shows progress and a killed run keeps what it measured.
/// Numbers are formatted with the invariant culture so the output parses the same everywhere.
/// </summary>
internal static class Figures
{
    public static void Write(string name, double value, string format = "0.00") =>
        WriteText(name, value.ToString(format, CultureInfo.InvariantCulture));

    public static void Write(string name, long value) =>
        WriteText(name, value.ToString(CultureInfo.InvariantCulture));

    public static void WriteText(string name, string value)
    {
        Console.Out.WriteLine($"{name}: {value}");
        Console.Out.Flush();
    }

    public static void Comment(string text)
    {
        foreach (var line in text.Split('\n'))
        {
            Console.Out.WriteLine($"# {line}");
        }

        Console.Out.Flush();
    }

    /// <summary>Progress for the person watching; stderr, so stdout stays figures and comments only.</summary>
    public static void Progress(string text) => Console.Error.WriteLine($"[bench] {text}");
}
