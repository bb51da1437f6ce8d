namespace Serverless.Functions.Autosave;

/// <summary>Settings of crash-recovery autosave (configuration section <c>Autosave</c>).</summary>
public sealed class AutosaveOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Autosave";

    /// <summary>How long a slot lives after its last save (the recovery window). Default 30 minutes.</summary>
    public TimeSpan Expiry { get; set; } = TimeSpan.FromMinutes(30);
}
