using Azure;
using Azure.Core;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Tables;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Storage;

/// <summary>
/// What the SDK's retry policy (with our settings) does to each table operation under each fault,
/// injected through <see cref="ClientOptions.Transport"/>, and that callers can tell a write whose lost
/// response was retried (success) from a real conflict (an error).
/// </summary>
public sealed class FaultInjectionTests : TableTestBase
{
    private TableClient Faulty(FaultInjectionTransport transport, RoundTripCounter? counter = null, int? maxRetries = null) =>
        Azurite.Table(Table.Name, options =>
        {
            options.Transport = transport;
            counter?.AddTo(options);
            options.Retry.MaxRetries = maxRetries ?? options.Retry.MaxRetries;
            options.Retry.Delay = TimeSpan.FromMilliseconds(5);
            options.Retry.MaxDelay = TimeSpan.FromMilliseconds(50);
            options.Retry.NetworkTimeout = TimeSpan.FromMilliseconds(500);
        });

    [Theory]
    [InlineData(Fault.ServerError)]
    [InlineData(Fault.ServerBusy)]
    [InlineData(Fault.Hang)]
    public async Task Insert_AfterATransientFault_IsRetriedAndStoredOnce(Fault fault)
    {
        var counter = new RoundTripCounter();
        var client = Faulty(FaultInjectionTransport.Scripted(fault), counter);

        var etag = await client.InsertAsync(new TableEntity("p", $"transient-{fault}") { ["V"] = 1 });

        Assert.Equal(2, counter.Count);
        Assert.Equal(etag, (await Table.FindAsync("p", $"transient-{fault}"))!.ETag);
    }

    [Fact]
    public async Task Insert_CommittedButResponseLost_RecognisesItsOwnWriteAsSuccess()
    {
        var transport = FaultInjectionTransport.Scripted(Fault.CommitThenLoseResponse);
        var client = Faulty(transport);

        var etag = await client.InsertAsync(new TableEntity("p", "lost-insert") { ["V"] = "mine" });

        var stored = await Table.FindAsync("p", "lost-insert");
        Assert.Equal(etag, stored!.ETag);
        Assert.Equal("mine", stored.GetString("V"));
    }

    [Fact]
    public async Task Insert_RetriedIntoARealConflict_StillFailsAndSaysItWasRetried()
    {
        await Table.InsertAsync(new TableEntity("p", "taken") { ["V"] = "theirs" });
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.ServerBusy));

        var error = await Assert.ThrowsAsync<RetriedConflictException>(() => client.InsertAsync(new TableEntity("p", "taken") { ["V"] = "mine" }));

        Assert.Equal(409, error.Status);
        Assert.Equal("EntityAlreadyExists", error.ErrorCode);
        Assert.Equal("theirs", (await Table.FindAsync("p", "taken"))!.GetString("V"));
    }

    [Fact]
    public async Task Replace_CommittedButResponseLost_RecognisesItsOwnWrite()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "lost-replace") { ["V"] = 1 });
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.CommitThenLoseResponse));

        var newETag = await client.ReplaceAsync(new TableEntity("p", "lost-replace") { ["V"] = 2 }, etag);

        var stored = await Table.FindAsync("p", "lost-replace");
        Assert.Equal(newETag, stored!.ETag);
        Assert.Equal(2, stored.GetInt32("V"));
    }

    [Fact]
    public async Task Merge_RetriedAfterSomeoneElseWrote_Fails412()
    {
        var etag = await Table.InsertAsync(new TableEntity("p", "raced") { ["V"] = 1 });
        await Table.MergeAsync(new TableEntity("p", "raced") { ["V"] = 99 }, etag);
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.ServerError));

        var error = await Assert.ThrowsAsync<RetriedConflictException>(() => client.MergeAsync(new TableEntity("p", "raced") { ["V"] = 2 }, etag));

        Assert.Equal(412, error.Status);
        Assert.Equal(99, (await Table.FindAsync("p", "raced"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Delete_CommittedButResponseLost_ReportsDeleted()
    {
        await Table.InsertAsync(new TableEntity("p", "lost-delete"));
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.CommitThenLoseResponse));

        Assert.True(await client.DeleteRowAsync("p", "lost-delete", ETag.All));
        Assert.Null(await Table.FindAsync("p", "lost-delete"));
    }

    [Fact]
    public async Task Upsert_CommittedButResponseLost_IsSimplyReapplied()
    {
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.CommitThenLoseResponse));

        await client.UpsertAsync(new TableEntity("p", "lost-upsert") { ["V"] = 5 }, TableUpdateMode.Replace);

        Assert.Equal(5, (await Table.FindAsync("p", "lost-upsert"))!.GetInt32("V"));
    }

    [Fact]
    public async Task Transaction_CommittedButResponseLost_RecognisesItsOwnWrite()
    {
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.CommitThenLoseResponse));
        var actions = Enumerable.Range(0, 10).Select(i => new TableTransactionAction(TableTransactionActionType.Add, new TableEntity("lost-tx", $"r{i}") { ["I"] = i })).ToList();

        var etags = await client.SubmitAsync(actions);

        var rows = await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"lost-tx"}"));
        Assert.Equal(10, rows.Count);
        Assert.Equal(rows.Select(r => (ETag?)r.ETag), etags);
    }

    [Fact]
    public async Task Transaction_RetriedIntoARealConflict_FailsAndChangesNothing()
    {
        await Table.InsertAsync(new TableEntity("conflict-tx", "r1") { ["I"] = -1 });
        var client = Faulty(FaultInjectionTransport.Scripted(Fault.ServerBusy));

        var error = await Assert.ThrowsAsync<RetriedConflictException>(() => client.SubmitAsync(
            [new(TableTransactionActionType.Add, new TableEntity("conflict-tx", "r0")), new(TableTransactionActionType.Add, new TableEntity("conflict-tx", "r1") { ["I"] = 1 })]));

        Assert.Equal(409, error.Status);
        Assert.Equal(1, error.FailedActionIndex());
        Assert.Single(await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"conflict-tx"}")));
    }

    [Fact]
    public async Task PersistentThrottling_GivesUpAfterTheRetryBudget_WithAThrottledError()
    {
        var counter = new RoundTripCounter();
        var client = Faulty(new FaultInjectionTransport(_ => Fault.ServerBusy), counter);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => client.FindAsync("p", "anything"));

        Assert.Equal(503, error.Status);
        Assert.Equal(StoragePipeline.MaxRetries + 1, counter.Count);
    }

    [Fact]
    public async Task NoResponseOnAnyTry_IsARequestFailedExceptionWithStatusZero()
    {
        var counter = new RoundTripCounter();
        var client = Faulty(new FaultInjectionTransport(_ => Fault.Hang), counter, maxRetries: 1);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => client.FindAsync("p", "r"));

        Assert.Equal(0, error.Status);
        Assert.Equal("ServiceUnreachable", error.ErrorCode);
        Assert.Equal(2, counter.Count);
    }

    [Fact]
    public async Task CallersCancellation_IsACancellation_NotAStorageFailure()
    {
        var client = Faulty(new FaultInjectionTransport(_ => Fault.Hang), maxRetries: 1);
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.FindAsync("p", "r", cancellationToken: cancel.Token));
    }

    [Fact]
    public async Task ClientErrors_AreNotRetried()
    {
        var counter = new RoundTripCounter();
        await Table.InsertAsync(new TableEntity("p", "once"));
        var client = Faulty(FaultInjectionTransport.Scripted(), counter);

        var error = await Assert.ThrowsAsync<RequestFailedException>(() => client.InsertAsync(new TableEntity("p", "once")));

        Assert.IsNotType<RetriedConflictException>(error);

        Assert.Equal(1, counter.Count);
    }

    [Fact]
    public async Task RandomFaults_OnEveryOperation_LeaveExactlyTheIntendedState()
    {
        var random = new Random(20261122);
        Fault[] faults = [Fault.ServerError, Fault.ServerBusy, Fault.Hang, Fault.CommitThenLoseResponse];
        // One request in four meets a fault; ten retries make giving up (0.25^11 per call) practically impossible.
        var client = Faulty(
            new FaultInjectionTransport(_ =>
            {
                lock (random)
                {
                    return random.Next(4) == 0 ? faults[random.Next(faults.Length)] : Fault.None;
                }
            }),
            maxRetries: 10);
        var model = new Dictionary<string, int>();

        for (var step = 0; step < 120; step++)
        {
            var row = $"r{step % 15}";
            if (!model.TryGetValue(row, out var value))
            {
                await client.InsertAsync(new TableEntity("soak", row) { ["V"] = step });
                model[row] = step;
            }
            else if (step % 4 == 0)
            {
                Assert.True(await client.DeleteRowAsync("soak", row, ETag.All));
                model.Remove(row);
            }
            else
            {
                var current = await client.FindAsync("soak", row);
                Assert.Equal(value, current!.GetInt32("V"));
                await client.ReplaceAsync(new TableEntity("soak", row) { ["V"] = step }, current.ETag);
                model[row] = step;
            }
        }

        var stored = (await Table.ReadAllAsync(TableClient.CreateQueryFilter($"PartitionKey eq {"soak"}"))).ToDictionary(e => e.RowKey, e => e.GetInt32("V")!.Value);
        Assert.Equal(model.OrderBy(p => p.Key), stored.OrderBy(p => p.Key));
    }
}
