namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// One entry of a function.json <c>bindings</c> array. Properties a binding type does not use stay
/// null and are left out of the file, so each binding reads exactly as the host's docs show it.
/// </summary>
public sealed record FunctionBinding
{
    /// <summary>The binding type: <c>httpTrigger</c>, <c>http</c> or <c>timerTrigger</c>.</summary>
    public required string Type { get; init; }

    /// <summary><c>in</c> or <c>out</c>.</summary>
    public required string Direction { get; init; }

    /// <summary>The binding name; for a timer it is the key of the trigger data in the invocation payload.</summary>
    public required string Name { get; init; }

    /// <summary>HTTP methods in lower case; null (left out) means every method.</summary>
    public IReadOnlyList<string>? Methods { get; init; }

    /// <summary>The host-side key check of an HTTP trigger.</summary>
    public string? AuthLevel { get; init; }

    /// <summary>The HTTP trigger's route template, below the host's route prefix.</summary>
    public string? Route { get; init; }

    /// <summary>A timer's NCRONTAB schedule as written, <c>%Setting%</c> references kept for the host to expand.</summary>
    public string? Schedule { get; init; }

    /// <summary>The HTTP trigger of a function the host proxies to us.</summary>
    public static FunctionBinding HttpTrigger(string route, IReadOnlyList<string>? methods) => new()
    {
        Type = "httpTrigger",
        Direction = "in",
        Name = "req",
        Methods = methods,

        // No host key: the app authenticates every user itself (JWT bearer or App Service
        // Authentication) and anonymous routes such as /api/health are meant to be public. A
        // function key would be a second, shared secret that every client app would have to embed.
        AuthLevel = "anonymous",
        Route = route,
    };

    /// <summary>The HTTP output that pairs with <see cref="HttpTrigger"/>; one in and one out is what makes the host proxy the request.</summary>
    public static FunctionBinding HttpOutput { get; } = new() { Type = "http", Direction = "out", Name = "res" };

    /// <summary>A timer trigger; the host POSTs its invocations to <c>/&lt;FunctionName&gt;</c>.</summary>
    public static FunctionBinding TimerTrigger(string bindingName, string schedule) => new()
    {
        Type = "timerTrigger",
        Direction = "in",
        Name = bindingName,
        Schedule = schedule,
    };
}
