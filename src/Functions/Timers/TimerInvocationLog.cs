using System.Collections.Concurrent;

namespace Serverless.Functions.Timers;

/// <summary>
/// The logger a job gets in <see cref="TimerInvocation.Logger"/>: writes through to the app's logger
/// and keeps the Information-and-above lines for the host reply's <c>Logs</c>, which the host attaches
/// to the invocation. Bounded, so a chatty job cannot grow the reply without limit.
/// </summary>
internal sealed class TimerInvocationLog(ILogger inner) : ILogger
{
    /// <summary>Lines kept; later ones are counted and summarized in one last line.</summary>
    public const int MaxLines = 1000;

    /// <summary>Characters kept per line.</summary>
    public const int MaxLineLength = 8192;

    private readonly ConcurrentQueue<string> lines = new();
    private int count;

    /// <summary>The lines kept so far, plus a note of how many were dropped.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            var kept = lines.ToList();
            var dropped = Volatile.Read(ref count) - kept.Count;
            if (dropped > 0)
            {
                kept.Add($"({dropped} more log lines not returned; see the app's logs)");
            }

            return kept;
        }
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    // The reply wants Information and above even when the app's own filter is stricter.
    public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Information and < LogLevel.None || inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        inner.Log(logLevel, eventId, state, exception, formatter);
        if (logLevel is < LogLevel.Information or LogLevel.None)
        {
            return;
        }

        if (Interlocked.Increment(ref count) > MaxLines)
        {
            return;
        }

        var line = formatter(state, exception);
        if (exception is not null)
        {
            line += $" ({exception.GetType().Name}: {exception.Message})";
        }

        if (logLevel != LogLevel.Information)
        {
            // The host logs every returned line at Information; keep the real level visible.
            line = $"{logLevel}: {line}";
        }

        lines.Enqueue(line.Length > MaxLineLength ? line[..MaxLineLength] : line);
    }
}
