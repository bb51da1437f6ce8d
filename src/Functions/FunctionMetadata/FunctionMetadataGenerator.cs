namespace Serverless.Functions.FunctionMetadata;

/// <summary>
/// Every function of the app, generated from the app's own registrations (its endpoints and its
/// timer registry), so function.json can never list a route or timer the code does not have.
/// </summary>
public static class FunctionMetadataGenerator
{
    /// <summary>The functions of a started app, whose endpoint data source holds every mapped endpoint.</summary>
    public static IReadOnlyList<FunctionDescription> FromServices(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return Combine(HttpFunctions.From(services.GetRequiredService<EndpointDataSource>().Endpoints), TimerFunctions.From(services));
    }

    /// <summary>
    /// The functions of an app whose routes are mapped but which has not started: its endpoints only
    /// reach the shared data source when the request pipeline is built at start, so read the app's own.
    /// </summary>
    public static IReadOnlyList<FunctionDescription> FromApp(IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return Combine(HttpFunctions.From(app.DataSources.SelectMany(d => d.Endpoints)), TimerFunctions.From(app.ServiceProvider));
    }

    /// <summary>Checks the functions' names and returns them ordered by name.</summary>
    /// <exception cref="InvalidOperationException">A name is invalid, or two functions share a name (compared as the host does, ignoring case).</exception>
    public static IReadOnlyList<FunctionDescription> Combine(params IEnumerable<FunctionDescription>[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var byName = new Dictionary<string, FunctionDescription>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in parts.SelectMany(p => p))
        {
            if (!FunctionNames.IsValid(function.Name))
            {
                throw new InvalidOperationException(
                    $"The function name '{function.Name}' ({function.Source}) is not valid: a letter, then letters, digits, '_' or '-', at most {FunctionNames.MaxLength}.");
            }

            if (!byName.TryAdd(function.Name, function))
            {
                throw new InvalidOperationException(
                    $"Two functions would be named '{function.Name}': {byName[function.Name].Source} and {function.Source}. Rename one of them.");
            }
        }

        return byName.Values.OrderBy(f => f.Name, StringComparer.Ordinal).ToList();
    }
}
