namespace Serverless.Storage.Lifecycle;

/// <summary>Data lifecycle settings (configuration section <c>Lifecycle</c>).</summary>
/// <remarks>How long a deleted thread stays restorable, and so when it is purged, is <c>Conversations:RestoreWindow</c>.</remarks>
public sealed class LifecycleOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Lifecycle";

    /// <summary>
    /// How old a blob no row references must be before the orphan sweep deletes it; younger ones may belong to a write
    /// still in flight (uploaded, row not yet committed). Default 1 day.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How long the run log of a deleted mission (rows and response bodies) stays before it is purged. Default 0: at the next sweep.</summary>
    public TimeSpan DeletedMissionRetention { get; set; } = TimeSpan.Zero;
}
