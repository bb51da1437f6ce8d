namespace Serverless.Functions.Portability;

/// <summary>
/// One bundle kind that export and import carry on its own: every kind but the conversation kinds (threads, messages
/// and summaries travel together, <see cref="BundleExporter"/>). Ports are registered in <see cref="PortabilitySetup"/>;
/// their registration order is the bundle's order of kinds, the order of the validation pass and of the writing passes.
/// Each port's export is one checkpointed step, and so is its import: a crash repeats only the kind it was in, so a
/// port's writes must be safe to repeat (a resource equal to the bundle's is skipped).
/// </summary>
public interface IBundleKindPort
{
    /// <summary>The bundle kind (<c>kinds/{kind}.ndjson</c>).</summary>
    string Kind { get; }

    /// <summary>Writes every line of the user's resources of this kind (and stages the blob files they reference).</summary>
    Task ExportAsync(KindExport destination, CancellationToken cancellationToken);

    /// <summary>Checks every line of the kind (the API's rules for its shape, ids once each); throws <see cref="Serverless.Bundles.BundleException"/>. Writes nothing.</summary>
    Task ValidateAsync(KindValidation bundle, CancellationToken cancellationToken);

    /// <summary>Writes the kind's lines under the conflict policy, counting each resource in the report.</summary>
    Task ImportAsync(KindImport source, CancellationToken cancellationToken);
}
