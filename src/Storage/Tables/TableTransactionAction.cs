using Azure;

namespace Serverless.Storage.Tables;

/// <summary>What one operation of an entity group transaction does.</summary>
public enum TableActionType
{
    /// <summary>Insert; fails with 409 if the entity exists.</summary>
    Add,

    /// <summary>Replace an existing entity, conditional on <see cref="TableTransactionAction.IfMatch"/>.</summary>
    UpdateReplace,

    /// <summary>Merge into an existing entity, conditional on <see cref="TableTransactionAction.IfMatch"/>.</summary>
    UpdateMerge,

    /// <summary>Insert or replace.</summary>
    UpsertReplace,

    /// <summary>Insert or merge.</summary>
    UpsertMerge,

    /// <summary>Delete, conditional on <see cref="TableTransactionAction.IfMatch"/> (<see cref="ETag.All"/> for any version).</summary>
    Delete,
}

/// <summary>One operation in an entity group transaction.</summary>
/// <param name="Type">What the operation does.</param>
/// <param name="Entity">The entity written, or whose keys are deleted.</param>
/// <param name="IfMatch">For updates and deletes: the ETag the entity must have; <see cref="ETag.All"/> matches any. Defaults to the entity's own ETag, else any.</param>
public sealed record TableTransactionAction(TableActionType Type, TableEntity Entity, ETag? IfMatch = null)
{
    /// <summary>The If-Match value sent for updates and deletes.</summary>
    internal ETag EffectiveIfMatch => IfMatch ?? (Entity.ETag == default ? ETag.All : Entity.ETag);
}
