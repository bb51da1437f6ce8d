using Serverless.Storage.Conversations;

namespace Serverless.Tests.Conversations;

public sealed class ThreadLineageTests
{
    [Fact]
    public void AThreadThatIsNotAFork_OwnsEverySequenceNumber()
    {
        Assert.Equal([("t", 1L, long.MaxValue)], ThreadLineage.None.Ranges("t"));
        Assert.Equal(1, ThreadLineage.None.FirstOwnSequence);
        Assert.Null(ThreadLineage.None.Serialize());
    }

    [Fact]
    public void ForkOfAFork_InsideTheGrandparentsRange_ReadsOnlyTheGrandparent_ButNamesItsParent()
    {
        var child = ThreadLineage.None.ForkAt("root", 10);
        var early = child.ForkAt("child", 4);
        var late = child.ForkAt("child", 15);

        Assert.Equal("child", early.Parent!.ThreadId);
        Assert.Equal(5, early.FirstOwnSequence);
        Assert.Equal([("root", 1L, 4L), ("early", 5L, long.MaxValue)], early.Ranges("early"));
        Assert.Equal([("root", 1L, 10L), ("child", 11L, 15L), ("late", 16L, long.MaxValue)], late.Ranges("late"));
        Assert.Equal("child", late.OwnerOf("late", 12));
        Assert.Equal("root", late.OwnerOf("late", 3));
    }

    [Fact]
    public void Lineage_RoundTripsThroughItsStoredForm()
    {
        var lineage = ThreadLineage.None.ForkAt("a", 3).ForkAt("b_-1", 7);

        Assert.Equal(lineage.Ancestors, ThreadLineage.Parse(lineage.Serialize()).Ancestors);
    }

    [Fact]
    public void ForkAtZero_InheritsNothing()
    {
        var fork = ThreadLineage.None.ForkAt("p", 0);

        Assert.Equal([("f", 1L, long.MaxValue)], fork.Ranges("f"));
        Assert.Equal("p", fork.Parent!.ThreadId);
    }
}
