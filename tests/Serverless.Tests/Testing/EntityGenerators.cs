using FsCheck;
using FsCheck.Fluent;
using Azure.Data.Tables;
using Serverless.Storage.Tables;

namespace Serverless.Tests.Testing;

/// <summary>Generators of property values of every type a table stores, edge values included.</summary>
public static class EntityGenerators
{
    public static Gen<long> Int64s { get; } = Gen.OneOf(
        Gen.Elements(long.MinValue, long.MaxValue, 0L, -1L, (long)int.MaxValue + 1, (long)int.MinValue - 1, 9_007_199_254_740_993L),
        Gen.Two(Gen.Choose(int.MinValue, int.MaxValue)).Select(t => ((long)t.Item1 << 32) ^ (uint)t.Item2));

    public static Gen<double> Doubles { get; } = Gen.OneOf(
        Gen.Elements(double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, 2.0, -3.0, 1e308, double.Epsilon, double.MaxValue, double.MinValue, 0.1, 1.0 / 3),
        Int64s.Select(BitConverter.Int64BitsToDouble).Where(double.IsFinite));

    public static Gen<DateTimeOffset> DateTime { get; } = Gen.OneOf(
        Gen.Elements(new DateTimeOffset(1601, 1, 1, 0, 0, 0, TimeSpan.Zero), new DateTimeOffset(9999, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), new DateTimeOffset(2024, 2, 29, 12, 0, 0, TimeSpan.FromHours(5))),
        Int64s.Select(l => new DateTimeOffset(
            new DateTimeOffset(1601, 1, 1, 0, 0, 0, TimeSpan.Zero).Ticks + (long)((ulong)l % (ulong)(System.DateTime.MaxValue.Ticks - new DateTime(1601, 1, 1).Ticks)),
            TimeSpan.Zero)));

    public static Gen<byte[]> Binary { get; } = Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf();

    /// <summary>Any value a table stores; NaN and infinities only where <paramref name="finiteDoubles"/> is false (the SDK's JSON writer refuses them).</summary>
    public static Gen<object> Values(bool finiteDoubles) => Gen.OneOf(
        Properties.WellFormedString.Select(s => (object)s),
        Gen.Elements(true, false).Select(b => (object)b),
        Gen.OneOf(Gen.Elements(int.MinValue, int.MaxValue, 0), Gen.Choose(int.MinValue, int.MaxValue)).Select(i => (object)i),
        Int64s.Select(l => (object)l),
        Doubles.Where(d => !finiteDoubles || double.IsFinite(d)).Select(d => (object)d),
        DateTime.Select(d => (object)d),
        Gen.Elements(Guid.Empty, Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff")).Select(g => (object)g),
        Binary.Select(b => (object)b));

    /// <summary>An entity with up to 12 properties of random types and names.</summary>
    public static Gen<TableEntity> Entity(string partitionKey, bool finiteDoubles = false) =>
        Values(finiteDoubles).ListOf().Select(values =>
        {
            var entity = new TableEntity(partitionKey, Guid.NewGuid().ToString("N"));
            for (var i = 0; i < Math.Min(values.Count, 12); i++)
            {
                entity[$"P{i}"] = values[i];
            }

            return entity;
        });

    /// <summary>Whether two entities hold the same properties with equal values (keys compared too).</summary>
    public static bool SameContent(TableEntity a, TableEntity b) =>
        a.PartitionKey == b.PartitionKey && a.RowKey == b.RowKey
        && EntityLimits.CustomProperties(a).Count() == EntityLimits.CustomProperties(b).Count()
        && EntityLimits.CustomProperties(a).All(p => b.TryGetValue(p.Key, out var other) && other is not null && Equal(p.Value, other));

    private static bool Equal(object x, object y) => (x, y) switch
    {
        (byte[] p, byte[] q) => p.AsSpan().SequenceEqual(q),
        (DateTimeOffset p, DateTimeOffset q) => p.UtcTicks == q.UtcTicks,
        _ => x.GetType() == y.GetType() && x.Equals(y),
    };
}
