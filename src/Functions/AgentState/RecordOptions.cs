namespace Serverless.Functions.AgentState;

/// <summary>Settings of the records resource (section <c>Records</c>).</summary>
public sealed class RecordOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Records";

    /// <summary>Records one collection may hold.</summary>
    public long MaxRecordsPerCollection { get; set; } = 10_000;

    /// <summary>Collections one user may have.</summary>
    public long MaxCollections { get; set; } = 100;

    /// <summary>Document bytes one user may store across collections.</summary>
    public long MaxBytes { get; set; } = 100L * 1024 * 1024;

    /// <summary>Records one cascading delete request deletes before it answers 202 (send it again to go on).</summary>
    public int CascadeDeletesPerRequest { get; set; } = 100;
}
