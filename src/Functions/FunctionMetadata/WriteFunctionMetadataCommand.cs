namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// <c>Serverless.Functions write-function-metadata &lt;outputDir&gt;</c>: writes a function.json
/// folder per function into the publish folder and exits. It runs on the built, route-mapped app
/// without starting it, so no hosted service (storage bootstrap, schedulers) runs and storage need
/// not be reachable.
/// </summary>
public static class WriteFunctionMetadataCommand
{
    /// <summary>The command word.</summary>
    public const string Name = "write-function-metadata";

    /// <summary>Runs the command when <paramref name="args"/> asks for it.</summary>
    /// <param name="args">The process arguments.</param>
    /// <param name="app">The app, after its routes are mapped and before it runs.</param>
    /// <returns>The process exit code, or null when the arguments are not this command.</returns>
    public static int? TryRun(string[] args, IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(app);
        if (args.Length == 0 || args[0] != Name)
        {
            return null;
        }

        if (args.Length != 2 || string.IsNullOrWhiteSpace(args[1]))
        {
            Console.Error.WriteLine($"usage: {Name} <outputDir>");
            return 2;
        }

        IReadOnlyList<FunctionDescription> functions;
        FunctionMetadataWriteResult result;
        try
        {
            functions = FunctionMetadataGenerator.FromApp(app);
            result = FunctionMetadataWriter.Write(args[1], functions);
        }
        catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"{Name}: {e.Message}");
            return 1;
        }

        foreach (var function in functions)
        {
            var trigger = function.Bindings[0];
            var what = trigger.Schedule is { } schedule
                ? $"timer  {schedule}"
                : $"http   {(trigger.Methods is null ? "*" : string.Join(',', trigger.Methods))} {HttpFunctions.RoutePrefix}/{trigger.Route}";
            Console.WriteLine($"{function.Name,-32} {what}");
        }

        Console.WriteLine(
            $"{functions.Count} functions in {Path.GetFullPath(args[1])}: {result.Written.Count} written, {result.Unchanged.Count} unchanged, " +
            $"{result.Removed.Count} stale removed{(result.Emptied.Count > 0 ? $", {result.Emptied.Count} stale emptied but kept (other files inside: {string.Join(", ", result.Emptied)})" : "")}.");
        return 0;
    }
}
