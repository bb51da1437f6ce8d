using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Functions.Api;
using Serverless.Functions.Lifecycle;
using Serverless.Functions.Settings;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Users;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Worker;

/// <summary>The lifecycle's functions in-process under the worker: the <c>/me</c> routes through the worker middleware, and the three timers with <see cref="TimerInfo"/>.</summary>
public sealed class LifecycleWorkerTests : IAsyncLifetime
{
    private WorkerTestApp worker = null!;

    public async Task InitializeAsync() => worker = await WorkerTestApp.StartAsync(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Lifecycle:RequestWorkBudget"] = "00:00:00",
    });

    public async Task DisposeAsync() => await worker.DisposeAsync();

    [Fact]
    public async Task DeleteMe_Is202_WritesAre409Meanwhile_TheJobsTimerFinishesIt_AndTheReceiptIsReadable()
    {
        await PutSettingAsync("alice");
        await PutSettingAsync("bob");

        var started = await InvokeAsync("DELETE", "/api/v1/me", "alice", nameof(LifecycleFunctions.DeleteMe), (f, r) => f.DeleteMe(r, CancellationToken.None));
        var refused = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.PutSetting),
            WorkerTestApp.Request("PUT", "/api/v1/settings/ui/theme", """{"value":"x"}""", "alice"), (f, r) => f.PutSetting(r, "ui", "theme", CancellationToken.None));
        await RunTimerAsync(f => f.LifecycleJobs(PastDue(), CancellationToken.None));
        var receipt = await InvokeAsync("GET", "/api/v1/me/erasure", "alice", nameof(LifecycleFunctions.GetErasure), (f, r) => f.GetErasure(r, CancellationToken.None));
        var none = await InvokeAsync("GET", "/api/v1/me/erasure", "bob", nameof(LifecycleFunctions.GetErasure), (f, r) => f.GetErasure(r, CancellationToken.None));

        Assert.Equal(202, started.Status);
        Assert.Equal("/api/v1/me/erasure", started.Headers.Location.ToString());
        Assert.Equal(409, refused.Status);
        Assert.Equal(ProblemCodes.ErasureInProgress, refused.Json.GetProperty("code").GetString());
        Assert.Equal(200, receipt.Status);
        Assert.Equal("done", receipt.Json.GetProperty("state").GetString());
        Assert.Equal(404, none.Status);
        Assert.Contains(worker.Logs.Lines, l => l.Contains("LifecycleJobs: 1 jobs: 1 done", StringComparison.Ordinal));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("LifecycleJobs is past due", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Usage_IsQueued_ThenComputedByTheTimer()
    {
        await PutSettingAsync("alice");

        var queued = await InvokeAsync("GET", "/api/v1/me/usage", "alice", nameof(LifecycleFunctions.GetStorageUsage), (f, r) => f.GetStorageUsage(r, CancellationToken.None));
        await RunTimerAsync(f => f.LifecycleJobs(PastDue(), CancellationToken.None));
        var usage = await InvokeAsync("GET", "/api/v1/me/usage", "alice", nameof(LifecycleFunctions.GetStorageUsage), (f, r) => f.GetStorageUsage(r, CancellationToken.None));
        var migrations = await InvokeAsync("GET", "/api/v1/me/migrations", "alice", nameof(LifecycleFunctions.ListMigrations), (f, r) => f.ListMigrations(r, CancellationToken.None));

        Assert.Equal(202, queued.Status);
        Assert.Equal(200, usage.Status);
        Assert.Equal(1, usage.Json.GetProperty("kinds").EnumerateArray().Single(k => k.GetProperty("kind").GetString() == "setting").GetProperty("rows").GetInt64());
        Assert.Equal(200, migrations.Status);
    }

    [Fact]
    public async Task TheSweepTimers_RunWithTimerInfo_AndLogWhatTheyDid()
    {
        await PutSettingAsync("alice");
        await worker.Services.GetRequiredService<LegalHolds>().PlaceAsync(UserPartition.For("alice"), "case", CancellationToken.None);

        await RunTimerAsync(f => f.RetentionSweep(PastDue(), CancellationToken.None));
        await RunTimerAsync(f => f.OrphanSweep(new TimerInfo { IsPastDue = false }, CancellationToken.None));

        Assert.Contains(worker.Logs.Lines, l => l.Contains("RetentionSweep is past due", StringComparison.Ordinal));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("RetentionSweep: 0 expiry entries read", StringComparison.Ordinal));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("Timer RetentionSweep succeeded", StringComparison.Ordinal));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("OrphanSweep: 0 users swept", StringComparison.Ordinal));
        Assert.Contains(worker.Logs.Lines, l => l.Contains("Timer OrphanSweep succeeded", StringComparison.Ordinal));
    }

    private static TimerInfo PastDue() => new()
    {
        IsPastDue = true,
        ScheduleStatus = new ScheduleStatus { Last = DateTime.UtcNow.AddMinutes(-5), Next = DateTime.UtcNow.AddMinutes(1), LastUpdated = DateTime.UtcNow.AddMinutes(-5) },
    };

    private async Task PutSettingAsync(string user)
    {
        var put = await worker.InvokeAsync<SettingsFunctions>(nameof(SettingsFunctions.PutSetting),
            WorkerTestApp.Request("PUT", "/api/v1/settings/ui/theme", """{"value":"dark"}""", user), (f, r) => f.PutSetting(r, "ui", "theme", CancellationToken.None));
        Assert.Equal(201, put.Status);
    }

    private Task<TestResponse> InvokeAsync(string method, string path, string user, string function, Func<LifecycleFunctions, HttpRequest, Task<IResult>> call) =>
        worker.InvokeAsync(function, WorkerTestApp.Request(method, path, userId: user), call);

    private async Task RunTimerAsync(Func<LifecycleTimerFunctions, Task> call)
    {
        await using var scope = worker.Services.CreateAsyncScope();
        await call(ActivatorUtilities.CreateInstance<LifecycleTimerFunctions>(scope.ServiceProvider));
    }
}
