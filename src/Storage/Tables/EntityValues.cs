using Azure.Data.Tables;

namespace Serverless.Storage.Tables;

/// <summary>Compares property values the way the service stores them, to recognise a write that already committed.</summary>
internal static class EntityValues
{
    /// <summary>Whether <paramref name="stored"/> holds every property of <paramref name="written"/> with an equal value.</summary>
    /// <param name="stored">The entity as read back from the service.</param>
    /// <param name="written">The entity as this process wrote it.</param>
    /// <param name="exact">Also require that <paramref name="stored"/> has no other properties (replace rather than merge).</param>
    public static bool Contains(TableEntity stored, TableEntity written, bool exact)
    {
        var mine = EntityLimits.CustomProperties(written).ToList();
        if (exact && EntityLimits.CustomProperties(stored).Count() != mine.Count)
        {
            return false;
        }

        foreach (var (name, value) in mine)
        {
            if (!stored.TryGetValue(name, out var other) || other is null || !ValueEquals(value, other))
            {
                return false;
            }
        }

        return true;
    }

    private static bool ValueEquals(object a, object b) => (a, b) switch
    {
        (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
        (double x, double y) => x.Equals(y),
        (long x, int y) => x == y,
        (int x, long y) => x == y,
        // The service keeps 100 ns ticks, which is what DateTimeOffset holds too.
        (DateTimeOffset x, DateTimeOffset y) => x.UtcTicks == y.UtcTicks,
        (DateTime x, DateTimeOffset y) => x.ToUniversalTime().Ticks == y.UtcTicks,
        _ => a.Equals(b),
    };
}
