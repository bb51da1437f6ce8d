namespace Serverless.Functions.FunctionMetadata;

/// <summary>What <see cref="FunctionMetadataWriter.Write"/> did.</summary>
/// <param name="Written">Functions whose function.json was created or changed.</param>
/// <param name="Unchanged">Functions whose function.json already had this content.</param>
/// <param name="Removed">Stale function folders deleted.</param>
/// <param name="Emptied">Stale function folders whose function.json was deleted but which held other files, so were kept.</param>
public sealed record FunctionMetadataWriteResult(
    IReadOnlyList<string> Written,
    IReadOnlyList<string> Unchanged,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Emptied);
