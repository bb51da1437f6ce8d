namespace Serverless.Bench;

/// <summary>
/// One independently written piece of a suite (the storage suite has a codec part and an
/// ops/s part). <paramref name="Options"/> lists the option names the part reads, so the
/// suite can reject a misspelt option up front.
/// </summary>
internal sealed record BenchPart(
    string Name,
    string Description,
    IReadOnlyList<string> Options,
    Func<BenchOptions, Task<int>> RunAsync);
