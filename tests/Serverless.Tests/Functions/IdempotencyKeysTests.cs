using System.Net;
using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Azure;
using Azure.Data.Tables;
using Serverless.Storage;
using Serverless.Storage.Tables;
using Serverless.Storage.Users;
using Serverless.Tests.Storage;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The Idempotency-Key helper against Azurite, the way a creating endpoint uses it: the key's record
/// joins the transaction of the write it guards.
/// </summary>
public sealed class IdempotencyKeysTests : TableTestBase
{
    private readonly ManualClock clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task SameKeySameBody_ReplaysTheFirstResponse_AndWritesOnce()
    {
        var first = await CreateAsync("alice", "key-1", """{"title":"hello"}""");
        var second = await CreateAsync("alice", "key-1", """{"title":"hello"}""");

        Assert.Equal((201, """{"id":"thread-1"}""", "/api/v1/threads/thread-1", false), first);
        Assert.Equal((201, """{"id":"thread-1"}""", "/api/v1/threads/thread-1", true), second);
        Assert.Single(await Threads("alice"));
    }

    [Fact]
    public async Task SameKeyOtherBody_Is422_AndWritesNothingMore()
    {
        await CreateAsync("alice", "key-2", """{"title":"hello"}""");

        var other = await CreateAsync("alice", "key-2", """{"title":"different"}""");

        Assert.Equal(422, other.Status);
        Assert.Contains("idempotency_key_reused", other.Body, StringComparison.Ordinal);
        Assert.Single(await Threads("alice"));
    }

    [Fact]
    public async Task SameKeyOtherUser_IsAFreshRequest()
    {
        await CreateAsync("alice", "shared-key", """{"title":"hello"}""");

        var bobs = await CreateAsync("bob", "shared-key", """{"title":"hello"}""");

        Assert.False(bobs.Replayed);
        Assert.Single(await Threads("bob"));
    }

    [Fact]
    public async Task ExpiredKey_IsAFreshRequest()
    {
        await CreateAsync("alice", "old-key", """{"title":"hello"}""");
        clock.Advance(IdempotencyStore.Lifetime + TimeSpan.FromMinutes(1));

        var again = await CreateAsync("alice", "old-key", """{"title":"hello"}""");

        Assert.False(again.Replayed);
        Assert.Equal(2, (await Threads("alice")).Count);
    }

    [Fact]
    public async Task TwentyConcurrentRequestsWithOneKey_CreateOnce_AndAllGetTheSameAnswer()
    {
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => CreateAsync("carol", "race-key", """{"title":"race"}""")));

        Assert.Single(await Threads("carol"));
        Assert.Equal(1, results.Count(r => !r.Replayed && r.Status == 201));
        Assert.All(results, r => Assert.True(r.Status == 201 || r.Status == 409, $"unexpected {r.Status}: {r.Body}"));
        Assert.All(results.Where(r => r.Status == 201), r => Assert.Equal("""{"id":"thread-1"}""", r.Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("ünïcödé")]
    public async Task MalformedKey_Is400(string key)
    {
        var result = await CreateAsync("alice", key, "{}");

        Assert.Equal(400, result.Status);
        Assert.Empty(await Threads("alice"));
    }

    /// <summary>A stand-in for a creating endpoint: one thread row plus the key's record in one transaction.</summary>
    private async Task<(int Status, string Body, string? Location, bool Replayed)> CreateAsync(string userId, string key, string body)
    {
        var context = new DefaultHttpContext();
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", userId)], "test"));
        context.Request.Headers[IdempotencyKeys.Header] = key;
        context.Response.Body = new MemoryStream();
        var user = CurrentUser.From(context);
        var keys = new IdempotencyKeys(new IdempotencyStore(Table, clock, await LifecycleWorld.ExpiryForAsync(Table, clock)), clock);

        var outcome = await keys.BeginAsync(context.Request, "threads.create", Encoding.UTF8.GetBytes(body), CancellationToken.None);
        var answer = outcome.Answer;
        if (answer is null)
        {
            var threadId = $"thread-{(await Threads(userId)).Count + 1}";
            var response = $$"""{"id":"{{threadId}}"}""";
            var location = $"/api/v1/threads/{threadId}";
            try
            {
                await Table.SubmitAsync(
                [
                    new(TableTransactionActionType.Add, new TableEntity(user.Partition.Key, "thread|" + threadId) { ["Body"] = body }),
                    outcome.Write!.Record(201, response, location),
                ]);
                answer = new StoredAnswer(201, response, location);
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                answer = await keys.AnswerAfterRaceAsync(outcome.Write!, CancellationToken.None);
            }
        }

        context.RequestServices = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        await answer.ExecuteAsync(context);
        context.Response.Body.Position = 0;
        return (
            context.Response.StatusCode,
            await new StreamReader(context.Response.Body).ReadToEndAsync(),
            context.Response.Headers.Location.FirstOrDefault(),
            context.Response.Headers.ContainsKey(IdempotencyKeys.ReplayedHeader));
    }

    private async Task<List<TableEntity>> Threads(string userId) =>
        await Table.ReadAllAsync(TableFilters.RowKeyStartsWith(UserPartition.For(userId).Key, "thread|"));

    private sealed class StoredAnswer(int status, string body, string location) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.Headers.Location = location;
            await httpContext.Response.WriteAsync(body);
        }
    }

    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset current = now;

        public void Advance(TimeSpan by) => current += by;

        public override DateTimeOffset GetUtcNow() => current;
    }
}
