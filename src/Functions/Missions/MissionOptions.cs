namespace Serverless.Functions.Missions;

/// <summary>Settings of scheduled missions (section <c>Missions</c>).</summary>
public sealed class MissionOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Missions";

    /// <summary>Most missions one user may have.</summary>
    public int MaxMissionsPerUser { get; set; } = 100;

    /// <summary>Shortest allowed gap between two occurrences of a schedule; the tick runs once a minute, so less buys nothing.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Largest JSON payload, in UTF-8 bytes; it is stored inline in the mission row.</summary>
    public int MaxPayloadBytes { get; set; } = 8 * 1024;

    /// <summary>Largest catch-up count a mission may ask for.</summary>
    public int MaxCatchUp { get; set; } = 10;

    /// <summary>Encryption keys for signing secrets: key id → base64 of 32 bytes.</summary>
    public Dictionary<string, string> SecretKeys { get; set; } = [];

    /// <summary>The key id that encrypts new secrets; the others only decrypt.</summary>
    public string? ActiveSecretKeyId { get; set; }

    /// <summary>How long a rotated-out secret keeps signing next to the new one.</summary>
    public TimeSpan SecretRotationGrace { get; set; } = TimeSpan.FromHours(24);

    /// <summary><c>host:port</c> targets allowed despite resolving to local addresses, and over plain http (development and tests only).</summary>
    public List<string> AllowedLocalTargets { get; set; } = [];

    /// <summary>
    /// Whether webhooks may go to this machine's loopback addresses (<c>localhost</c>, 127.0.0.0/8, ::1) on any port,
    /// over http or https: on in the local run (<c>scripts/run</c> sets it; local.settings.sample.json for <c>func start</c>),
    /// so that it reaches the developer's own receivers; off by default, and nothing else local is allowed by it.
    /// </summary>
    public bool AllowLoopbackTargets { get; set; }

    /// <summary>How long one delivery may take, reading the response body (up to <see cref="MaxResponseBodyBytes"/>) included.</summary>
    public TimeSpan DeliveryTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The default of <see cref="MaxResponseBodyBytes"/>: 64 KiB.</summary>
    public const int DefaultMaxResponseBodyBytes = 64 * 1024;

    /// <summary>The largest <see cref="MaxResponseBodyBytes"/> allowed: 1 MiB.</summary>
    public const int MaxResponseBodyBytesLimit = 1024 * 1024;

    /// <summary>
    /// Most bytes of a receiver's response body a delivery reads (1 KiB to 1 MiB; default 64 KiB). The run row keeps the
    /// first KiB as its excerpt; a longer body is stored, up to this cap, in a compressed blob. Never unbounded: a receiver
    /// that streams an endless body costs at most this much memory per delivery in flight (see <see cref="TickParallelism"/>),
    /// and the read stops at <see cref="DeliveryTimeout"/> like the rest of the delivery.
    /// </summary>
    public int MaxResponseBodyBytes { get; set; } = DefaultMaxResponseBodyBytes;

    /// <summary>Attempts per firing before it is given up.</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the first retry; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Cap on the retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>An occurrence later than this is "missed" and subject to the mission's missed-run policy.</summary>
    public TimeSpan MissedRunGrace { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Most index rows one tick reads; the rest wait for the next tick.</summary>
    public int TickBatchSize { get; set; } = 500;

    /// <summary>Deliveries in flight at once during a tick.</summary>
    public int TickParallelism { get; set; } = 16;

    /// <summary>How many minute buckets back the first tick (no cursor yet) looks.</summary>
    public int TickLookbackBuckets { get; set; } = 24 * 60;
}
