using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Lifecycle;

/// <summary><c>DELETE /api/v1/me</c> and <c>GET /api/v1/me/erasure</c> through the local server.</summary>
public sealed class ErasureApiTests
{
    [Fact]
    public async Task DeleteMe_ErasesEverything_AnIndependentScanFindsNothingOfTheUser_AndAskingAgainReturnsTheReceipt()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice@example.com");
        var bob = app.ClientFor("bob@example.com");
        await LifecycleApp.FillAsync(alice);
        await LifecycleApp.FillAsync(bob);
        var bobRows = (await app.RowsAsync("bob@example.com")).Select(r => r.RowKey).Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(await app.TracesAsync("alice@example.com"));

        var deleted = await alice.DeleteAsync("/api/v1/me");
        if (deleted.StatusCode == HttpStatusCode.Accepted)
        {
            Assert.Equal("/api/v1/me/erasure", deleted.Headers.Location?.ToString());
            await app.RunJobsAsync();
        }
        else
        {
            Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
        }

        var receiptText = await alice.GetStringAsync("/api/v1/me/erasure");
        var receipt = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/erasure"), HttpStatusCode.OK);
        Assert.Equal("done", receipt.GetProperty("state").GetString());
        Assert.Empty(await app.TracesAsync("alice@example.com"));
        Assert.DoesNotContain("alice", receiptText, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(UserPartition.For("alice@example.com").Key, receiptText, StringComparison.Ordinal);
        var erased = receipt.GetProperty("erased").EnumerateArray().ToDictionary(k => k.GetProperty("kind").GetString()!, k => k.GetProperty("rows").GetInt64());
        foreach (var kind in new[] { "setting", "idempotency", "thread", "thread.activity", "thread.creation", "message", "message.clientId", "segment", "summary", "mission", "index.expiry", "index.missionDue" })
        {
            Assert.True(erased.GetValueOrDefault(kind) > 0, $"the receipt counts no {kind}: {receiptText}");
        }

        Assert.True(receipt.GetProperty("totals").GetProperty("blobs").GetInt64() >= 3);
        Assert.Equal(receipt.GetProperty("erased").EnumerateArray().Sum(k => k.GetProperty("rows").GetInt64()), receipt.GetProperty("totals").GetProperty("rows").GetInt64());

        // Bob is untouched, and has no erasure of his own.
        Assert.Equal(bobRows, (await app.RowsAsync("bob@example.com")).Select(r => r.RowKey).Order(StringComparer.Ordinal).ToList());
        await ProblemAssert.IsProblemAsync(await bob.GetAsync("/api/v1/me/erasure"), HttpStatusCode.NotFound, "not_found");

        // Asking again: the same receipt.
        var again = await LifecycleApp.JsonAsync(await alice.DeleteAsync("/api/v1/me"), HttpStatusCode.OK);
        Assert.Equal(receipt.ToString(), again.ToString());
        Assert.Empty(await app.TracesAsync("alice@example.com"));
    }

    [Fact]
    public async Task WhileTheJobRuns_WritesAre409_ReadsAreServed_AndTheJobsTimerFinishesIt()
    {
        await using var app = await LifecycleApp.StartAsync(new Dictionary<string, string?> { ["Lifecycle:RequestWorkBudget"] = "00:00:00" });
        var alice = app.ClientFor("alice");
        var bob = app.ClientFor("bob");
        await LifecycleApp.FillAsync(alice);

        var started = await alice.DeleteAsync("/api/v1/me");
        var job = await LifecycleApp.JsonAsync(started, HttpStatusCode.Accepted);
        Assert.Equal("/api/v1/me/erasure", started.Headers.Location?.ToString());
        Assert.NotNull(started.Headers.RetryAfter);
        Assert.Equal("running", job.GetProperty("state").GetString());
        var again = await LifecycleApp.JsonAsync(await alice.DeleteAsync("/api/v1/me"), HttpStatusCode.Accepted);
        Assert.Equal(job.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal(job.GetProperty("startedAt").GetString(), again.GetProperty("startedAt").GetString());
        Assert.Equal("running", (await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/erasure"), HttpStatusCode.OK)).GetProperty("state").GetString());

        // Writes are refused, by every kind of route; reads still show what is not erased yet.
        await ProblemAssert.IsProblemAsync(await alice.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "light" }), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.PostAsJsonAsync("/api/v1/threads", new { id = "t9" }), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.PostAsJsonAsync("/api/v1/threads/t1/messages", new { role = "user", content = "late" }), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.DeleteAsync("/api/v1/threads/t1"), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.PostAsync("/api/v1/me/usage/refresh", null), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.PostAsync("/api/v1/me/integrity/repair", null), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/me/usage"), HttpStatusCode.Conflict, "erasure_in_progress");
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/me/integrity"), HttpStatusCode.Conflict, "erasure_in_progress");
        Assert.Equal("dark", (await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/settings/ui/theme"), HttpStatusCode.OK)).GetProperty("value").GetString());
        Assert.Equal(HttpStatusCode.Created, (await bob.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "light" })).StatusCode);

        await app.RunJobsAsync();

        var receipt = await LifecycleApp.JsonAsync(await alice.GetAsync("/api/v1/me/erasure"), HttpStatusCode.OK);
        Assert.Equal("done", receipt.GetProperty("state").GetString());
        Assert.Equal(job.GetProperty("startedAt").GetString(), receipt.GetProperty("startedAt").GetString());
        Assert.Empty(await app.TracesAsync("alice"));
        Assert.Empty(await app.Jobs.Pending.ReadAsync(10, default));
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/settings/ui/theme"), HttpStatusCode.NotFound, "not_found");

        // Once done, a write is a new life of the account.
        Assert.Equal(HttpStatusCode.Created, (await alice.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = "light" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.GetAsync("/api/v1/settings/ui/theme")).StatusCode);
    }

    [Fact]
    public async Task ALegalHold_Is409LegalHold_AndNothingIsErased_UntilItIsReleased()
    {
        await using var app = await LifecycleApp.StartAsync();
        var alice = app.ClientFor("alice");
        await LifecycleApp.FillAsync(alice);
        var holds = app.Services.GetRequiredService<LegalHolds>();
        await holds.PlaceAsync(UserPartition.For("alice"), "case 42", default);
        var rows = (await app.RowsAsync("alice")).Count;

        var refused = await ProblemAssert.IsProblemAsync(await alice.DeleteAsync("/api/v1/me"), HttpStatusCode.Conflict, "legal_hold");

        Assert.DoesNotContain("case 42", refused.ToString(), StringComparison.Ordinal);
        Assert.Equal(rows, (await app.RowsAsync("alice")).Count);
        await ProblemAssert.IsProblemAsync(await alice.GetAsync("/api/v1/me/erasure"), HttpStatusCode.NotFound, "not_found");
        Assert.Empty(await app.Jobs.Pending.ReadAsync(10, default));

        await holds.ReleaseAsync(UserPartition.For("alice"), default);
        var deleted = await alice.DeleteAsync("/api/v1/me");
        Assert.True(deleted.StatusCode is HttpStatusCode.OK or HttpStatusCode.Accepted);
        await app.RunJobsAsync();
        Assert.Empty(await app.TracesAsync("alice"));
    }
}
