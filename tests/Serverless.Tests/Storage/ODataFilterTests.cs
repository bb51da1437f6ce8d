using FsCheck.Fluent;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

public sealed class ODataFilterTests : TableTestBase
{
    public static TheoryData<object, string> Literals => new()
    {
        { "O'Brien", "'O''Brien'" },
        { "x' or PartitionKey ne '", "'x'' or PartitionKey ne '''" },
        { 42, "42" },
        { 42L, "42L" },
        { 2.0, "2.0" },
        { 0.5, "0.5" },
        { true, "true" },
        { new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.FromHours(2)), "datetime'2025-06-01T10:00:00.0000000Z'" },
        { Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff"), "guid'6f9619ff-8b86-d011-b42d-00c04fc964ff'" },
        { new byte[] { 0x0A, 0xFF }, "X'0AFF'" },
    };

    [Theory]
    [MemberData(nameof(Literals))]
    public void Literal_FormatsEachTypeAsTheServiceExpects(object value, string literal) =>
        Assert.Equal(literal, ODataFilter.Literal(value));

    [Fact]
    public void Create_TurnsEveryHoleIntoALiteral()
    {
        var name = "a'b";
        Assert.Equal("PartitionKey eq 'a''b' and N gt 5L", ODataFilter.Create($"PartitionKey eq {name} and N gt {5L}"));
    }

    [Fact]
    public void Literal_RefusesValuesWithoutALiteral()
    {
        Assert.Throws<ArgumentException>(() => ODataFilter.Literal(null));
        Assert.Throws<ArgumentException>(() => ODataFilter.Literal(double.NaN));
        Assert.Throws<ArgumentException>(() => ODataFilter.Literal(new object()));
    }

    [Fact]
    public void StringLiteral_AlwaysParsesBackToTheSameString() =>
        Properties.Check(Properties.AnyString, s =>
        {
            var literal = ODataFilter.Literal(s);
            return literal[0] == '\'' && literal[^1] == '\'' && literal[1..^1].Replace("''", "'", StringComparison.Ordinal) == s
                && !literal[1..^1].Replace("''", string.Empty, StringComparison.Ordinal).Contains('\'', StringComparison.Ordinal);
        });

    [Fact]
    public void PrefixSuccessor_IsTheTightUpperBound()
    {
        Assert.Equal("msg|b", ODataFilter.PrefixSuccessor("msg|a"));
        Assert.Equal("b", ODataFilter.PrefixSuccessor("a\uffff"));
        Assert.Null(ODataFilter.PrefixSuccessor("\uffff"));
    }

    [Fact]
    public async Task InjectionAttempt_MatchesOnlyARowHoldingThatExactString()
    {
        await Table.InsertAsync(new TableEntity("victim", "secret") { ["Owner"] = "victim" });
        await Table.InsertAsync(new TableEntity("attacker", "mine") { ["Owner"] = "attacker" });
        var hostile = "x' or PartitionKey ne '";

        var rows = await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {hostile}"));
        var own = await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"attacker"} and Owner eq {hostile}"));

        Assert.Empty(rows);
        Assert.Empty(own);
    }

    [Fact]
    public async Task AnyStringValue_FindsExactlyItsOwnRow()
    {
        var values = Gen.Sample(Properties.WellFormedString.Where(s => s.Length is > 0 and < 200), 60).Distinct().ToArray();
        var actions = values.Select((v, i) => new TableTransactionAction(TableActionType.Add, new TableEntity("f", $"r{i:D3}") { ["V"] = v })).ToList();
        await Table.SubmitTransactionAsync(actions);

        for (var i = 0; i < values.Length; i++)
        {
            var found = await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"f"} and V eq {values[i]}"));
            Assert.Equal([$"r{i:D3}"], found.Select(e => e.RowKey));
        }
    }

    [Fact]
    public async Task TypedComparisons_WorkOnTheService()
    {
        var day = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Table.SubmitTransactionAsync(Enumerable.Range(0, 5).Select(i => new TableTransactionAction(TableActionType.Add,
            new TableEntity("typed", $"r{i}") { ["L"] = (long)i << 40, ["T"] = day.AddDays(i), ["D"] = i + 0.5, ["G"] = i == 3 ? Guid.Empty : Guid.NewGuid() })).ToList());

        Assert.Equal(["r3", "r4"], (await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"typed"} and L ge {3L << 40}"))).Select(e => e.RowKey));
        Assert.Equal(["r0", "r1"], (await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"typed"} and T lt {day.AddDays(2)}"))).Select(e => e.RowKey));
        Assert.Equal(["r2"], (await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"typed"} and D eq {2.5}"))).Select(e => e.RowKey));
        Assert.Equal(["r3"], (await Table.QueryAllAsync(ODataFilter.Create($"PartitionKey eq {"typed"} and G eq {Guid.Empty}"))).Select(e => e.RowKey));
    }
}
