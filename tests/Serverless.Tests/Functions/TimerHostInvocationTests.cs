using System.Net;
using System.Text;
using System.Text.Json;
using Serverless.Functions.Timers;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>One app under "the host" (standalone scheduler off) with a recording job and a failing job.</summary>
public sealed class TimerHostFixture : IAsyncLifetime
{
    internal TimerJobProbe Probe { get; } = new();

    internal TimerTestApp App { get; private set; } = null!;

    public HttpClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        App = new TimerTestApp(await Azurite.Shared, TimerTestStorage.New(), standalone: false, services =>
        {
            TimerTestJobs.Recording(Probe, "host", "HostEcho", "0 */5 * * * *")(services);
            services.AddTimerJob<FailingTimerJob>("HostFails", "0 0 * * * *");
        }).Start();
        Client = App.CreateClient();
    }

    public async Task DisposeAsync() => await App.DisposeAsync();
}

public sealed class TimerHostInvocationTests(TimerHostFixture fixture) : IClassFixture<TimerHostFixture>
{
    /// <summary>The first-run payload of functions-host.md §3: Last is DateTime's default, 0001-01-01T00:00:00.</summary>
    private const string FirstRunPayload = """
        {
          "Data": {
            "timer": {
              "Schedule": { "AdjustForDST": true },
              "ScheduleStatus": { "Last": "0001-01-01T00:00:00", "Next": "2025-03-01T10:10:00+00:00", "LastUpdated": "2025-03-01T10:05:00.1234567+00:00" },
              "IsPastDue": false
            }
          },
          "Metadata": {
            "timer": {
              "Schedule": { "AdjustForDST": true },
              "ScheduleStatus": { "Last": "0001-01-01T00:00:00", "Next": "2025-03-01T10:10:00+00:00", "LastUpdated": "2025-03-01T10:05:00.1234567+00:00" },
              "IsPastDue": false
            },
            "sys": { "MethodName": "HostEcho", "UtcNow": "2025-03-01T10:07:12.345Z", "RandGuid": "1f2a3b4c-0000-4000-8000-000000000001" }
          }
        }
        """;

    [Fact]
    public async Task Post_FirstRunPayload_JobReceivesTheTypedInvocation()
    {
        var id = Guid.NewGuid().ToString();

        var response = await PostAsync("/HostEcho", FirstRunPayload, id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var invocation = Received(id);
        Assert.Equal("HostEcho", invocation.FunctionName);
        Assert.Equal(TimerInvocationSource.Host, invocation.Source);
        Assert.False(invocation.IsPastDue);
        Assert.True(invocation.AdjustForDst);
        Assert.Equal(Utc(2025, 3, 1, 10, 7, 12).AddMilliseconds(345), invocation.FiredAt);
        Assert.Equal(Utc(2025, 3, 1, 10, 5, 0), invocation.ScheduledTime);
        Assert.NotNull(invocation.ScheduleStatus);
        Assert.Null(invocation.ScheduleStatus.Last);
        Assert.Equal(Utc(2025, 3, 1, 10, 10, 0), invocation.ScheduleStatus.Next);
        Assert.Equal(Utc(2025, 3, 1, 10, 5, 0).AddTicks(1234567), invocation.ScheduleStatus.LastUpdated);
    }

    [Fact]
    public async Task Post_Success_RepliesOutputsLogsAndNullReturnValue()
    {
        var response = await PostAsync("/HostEcho", FirstRunPayload, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(["Outputs", "Logs", "ReturnValue"], body.EnumerateObject().Select(p => p.Name));
        Assert.Equal(JsonValueKind.Object, body.GetProperty("Outputs").ValueKind);
        Assert.Empty(body.GetProperty("Outputs").EnumerateObject());
        Assert.Equal(["hello from HostEcho", "Warning: careful"], body.GetProperty("Logs").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("ReturnValue").ValueKind);
    }

    [Fact]
    public async Task Post_PastDueRunWithHistory_PassesLastRunAndFlag()
    {
        var id = Guid.NewGuid().ToString();
        const string payload = """
            {"Data":{"timer":{"Schedule":{"AdjustForDST":false},"ScheduleStatus":{"Last":"2025-03-01T09:55:00","Next":"2025-03-01T10:00:00","LastUpdated":"2025-03-01T09:55:00.5"},"IsPastDue":true}},"Metadata":{}}
            """;

        await PostAsync("/HostEcho", payload, id);

        var invocation = Received(id);
        Assert.True(invocation.IsPastDue);
        Assert.False(invocation.AdjustForDst);
        Assert.Equal(Utc(2025, 3, 1, 9, 55, 0), invocation.ScheduleStatus!.Last);
        Assert.Equal(Utc(2025, 3, 1, 10, 0, 0), invocation.ScheduleStatus.Next);
    }

    [Fact]
    public async Task Post_WithoutMonitorStatusOrMetadata_HasNoStatusAndFiresNow()
    {
        var id = Guid.NewGuid().ToString();
        var before = DateTimeOffset.UtcNow;

        var response = await PostAsync("/HostEcho", """{"Data":{"timer":{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}}}""", id);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var invocation = Received(id);
        Assert.Null(invocation.ScheduleStatus);
        Assert.InRange(invocation.FiredAt, before, DateTimeOffset.UtcNow);
        Assert.True(invocation.ScheduledTime <= invocation.FiredAt && invocation.ScheduledTime > invocation.FiredAt.AddMinutes(-5));
        Assert.Equal(0, invocation.ScheduledTime.Second);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[]")]
    [InlineData("{}")]
    [InlineData("""{"Data":{}}""")]
    [InlineData("""{"Data":{"timer":42}}""")]
    [InlineData("""{"Data":{"timer":{}}}""")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":"no"}}}""")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":false,"ScheduleStatus":"soon"}}}""")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":false,"ScheduleStatus":{"Last":"yesterday","Next":"2025-03-01T10:10:00","LastUpdated":"2025-03-01T10:05:00"}}}}""")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":false,"ScheduleStatus":{"Last":"0001-01-01T00:00:00","LastUpdated":"2025-03-01T10:05:00"}}}}""")]
    [InlineData("""{"Data":{"timer":{"IsPastDue":false,"Schedule":{"AdjustForDST":"yes"}}}}""")]
    public async Task Post_MalformedPayload_Is400AndTheJobDoesNotRun(string payload)
    {
        var id = Guid.NewGuid().ToString();

        var response = await PostAsync("/HostEcho", payload, id);

        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"Expected 400, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains(JsonDocument.Parse(body).RootElement.GetProperty("code").GetString(), new[] { "malformed_json", "validation_failed" });
        Assert.DoesNotContain(fixture.Probe.Invocations, i => i.Invocation.InvocationId == id);
    }

    [Fact]
    public async Task Post_JobThrows_Is500ProblemJson()
    {
        var response = await PostAsync("/HostFails", FirstRunPayload, Guid.NewGuid().ToString());

        var problem = await ProblemAssert.IsProblemAsync(response, HttpStatusCode.InternalServerError, "internal_error");
        Assert.DoesNotContain("the job broke", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_UnknownFunction_Is404()
    {
        var response = await PostAsync("/NoSuchTimer", FirstRunPayload, Guid.NewGuid().ToString());

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_DoesNotListTimerEndpoints()
    {
        var document = await fixture.Client.GetStringAsync("/api/v1/openapi.json");

        Assert.DoesNotContain("HostEcho", document, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string json, string invocationId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Azure-Functions-InvocationId", invocationId);
        return await fixture.Client.SendAsync(request);
    }

    private TimerInvocation Received(string invocationId) =>
        Assert.Single(fixture.Probe.Invocations, i => i.Invocation.InvocationId == invocationId).Invocation;

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute, int second) =>
        new(year, month, day, hour, minute, second, TimeSpan.Zero);
}
