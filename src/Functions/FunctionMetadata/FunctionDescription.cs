namespace Serverless.Functions.FunctionMetadata;

/// <summary>One Azure Functions function: its folder name and the bindings of its function.json.</summary>
/// <param name="Name">The function name: the folder name, and for a timer the path the host POSTs to.</param>
/// <param name="Bindings">The bindings, in file order.</param>
/// <param name="Source">What in the app it was generated from (a route pattern or a timer), for messages.</param>
public sealed record FunctionDescription(string Name, IReadOnlyList<FunctionBinding> Bindings, string Source)
{
    /// <summary>The file every function folder holds.</summary>
    public const string FileName = "function.json";

    /// <summary>The function.json text.</summary>
    public string ToJson() => FunctionJson.Serialize(this);
}
