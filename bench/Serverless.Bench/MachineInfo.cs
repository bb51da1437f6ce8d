using System.Runtime.InteropServices;

namespace Serverless.Bench;

/// <summary>One comment line about where the figures come from: speeds mean little without it.</summary>
internal static class MachineInfo
{
    public static string Describe()
    {
        var cpu = ReadFirst("/proc/cpuinfo", line => line.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim();
        var load = ReadFirst("/proc/loadavg", _ => true)?.Split(' ').Take(3);
        return $"machine: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, "
            + $"{Environment.ProcessorCount} cores{(cpu is null ? "" : $" ({cpu})")}"
            + (load is null ? "" : $", load average {string.Join(' ', load)} at start (above ~1 means other work shares the cores)");
    }

    private static string? ReadFirst(string path, Func<string, bool> match)
    {
        try
        {
            return File.Exists(path) ? File.ReadLines(path).FirstOrDefault(match) : null;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
