namespace Serverless.Functions.Timers;

/// <summary>Who fired a timer.</summary>
public enum TimerInvocationSource
{
    /// <summary>The Azure Functions host, through <c>POST /{FunctionName}</c>.</summary>
    Host,

    /// <summary>The in-process scheduler (no host: local runs, tests, containers).</summary>
    Standalone,
}
