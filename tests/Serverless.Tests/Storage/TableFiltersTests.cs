using Azure.Data.Tables;
using FsCheck.Fluent;
using Serverless.Storage;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

/// <summary>Filters are built only with the SDK's <see cref="TableClient.CreateQueryFilter(FormattableString)"/>: hostile values stay literals.</summary>
public sealed class TableFiltersTests : TableTestBase
{
    [Fact]
    public void CreateQueryFilter_TurnsEveryHoleIntoAnEscapedLiteral()
    {
        var name = "x' or PartitionKey ne '";
        Assert.Equal("PartitionKey eq 'x'' or PartitionKey ne ''' and N gt 5L", TableClient.CreateQueryFilter($"PartitionKey eq {name} and N gt {5L}"));
    }

    [Fact]
    public void StringLiteral_AlwaysParsesBackToTheSameString() =>
        Properties.Check(Properties.AnyString, s =>
        {
            var literal = TableClient.CreateQueryFilter($"{s}");
            return literal[0] == '\'' && literal[^1] == '\'' && literal[1..^1].Replace("''", "'", StringComparison.Ordinal) == s
                && !literal[1..^1].Replace("''", string.Empty, StringComparison.Ordinal).Contains('\'', StringComparison.Ordinal);
        });

    [Fact]
    public void PrefixSuccessor_IsTheTightUpperBound()
    {
        Assert.Equal("msg|b", TableFilters.PrefixSuccessor("msg|a"));
        Assert.Equal("b", TableFilters.PrefixSuccessor("a\uffff"));
        Assert.Null(TableFilters.PrefixSuccessor("\uffff"));
    }

    [Fact]
    public async Task InjectionAttempt_MatchesOnlyARowHoldingThatExactString()
    {
        await Table.InsertAsync(new TableEntity("victim", "secret") { ["Owner"] = "victim" });
        await Table.InsertAsync(new TableEntity("attacker", "mine") { ["Owner"] = "attacker" });
        var hostile = "x' or PartitionKey ne '";

        var rows = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {hostile}"));
        var own = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"attacker"} and Owner eq {hostile}"));
        var prefixed = await Table.ReadAllAsync(TableFilters.RowKeyStartsWith(hostile, "s"));

        Assert.Empty(rows);
        Assert.Empty(own);
        Assert.Empty(prefixed);
    }

    [Fact]
    public async Task AnyStringValue_FindsExactlyItsOwnRow()
    {
        var values = Gen.Sample(Properties.WellFormedString.Where(s => s.Length is > 0 and < 200), 60).Distinct().ToArray();
        var actions = values.Select((v, i) => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("f", $"r{i:D3}") { ["V"] = v })).ToList();
        await Table.SubmitAsync(actions);

        for (var i = 0; i < values.Length; i++)
        {
            var found = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"f"} and V eq {values[i]}"));
            Assert.Equal([$"r{i:D3}"], found.Select(e => e.RowKey));
        }
    }

    [Fact]
    public async Task TypedComparisons_WorkOnTheService()
    {
        var day = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await Table.SubmitAsync(Enumerable.Range(0, 5).Select(i => new TableTransactionAction(TableTransactionActionType.Add,
            new TableEntity("typed", $"r{i}") { ["L"] = (long)i << 40, ["T"] = day.AddDays(i), ["D"] = i + 0.5, ["G"] = i == 3 ? Guid.Empty : Guid.NewGuid() })).ToList());

        Assert.Equal(["r3", "r4"], (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"typed"} and L ge {3L << 40}"))).Select(e => e.RowKey));
        Assert.Equal(["r0", "r1"], (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"typed"} and T lt {day.AddDays(2)}"))).Select(e => e.RowKey));
        Assert.Equal(["r2"], (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"typed"} and D eq {2.5}"))).Select(e => e.RowKey));
        Assert.Equal(["r3"], (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"typed"} and G eq {Guid.Empty}"))).Select(e => e.RowKey));
    }
}
