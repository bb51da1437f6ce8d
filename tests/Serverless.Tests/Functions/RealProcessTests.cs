using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Serverless.Functions.Api;
using Serverless.Functions.Identity;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The built server as a separate process, spoken to the way the Functions host speaks to a custom
/// handler: port by environment variable, readiness by polling <c>/</c>, timer invocations as
/// <c>POST /{FunctionName}</c>, and HTTP requests proxied with YARP's forwarding headers.
/// </summary>
public sealed class RealProcessTests(RealProcessServer fixture) : IClassFixture<RealProcessServer>
{
    private readonly ServerProcess server = fixture.Server;

    [Fact]
    public async Task Server_IsReadyWithinTheHostsPatience_AndAnswersTheProbe()
    {
        using var client = server.CreateClient();

        var probe = await client.GetAsync("/");

        // CH documents 60 s; the host's own default is 30 s. Readiness must not wait on anything slow.
        Assert.True(server.TimeToReady < TimeSpan.FromSeconds(30), $"ready after {server.TimeToReady.TotalSeconds:0.0} s");
        Assert.Equal(HttpStatusCode.OK, probe.StatusCode);
    }

    [Fact]
    public async Task Server_ListensOn127001Only()
    {
        Assert.Contains($"Now listening on: http://127.0.0.1:{server.Port}", server.Output, StringComparison.Ordinal);
        Assert.Single(server.Output.Split('\n'), line => line.Contains("Now listening on:", StringComparison.Ordinal));

        var elsewhere = new List<IPAddress> { IPAddress.Parse("127.0.0.2"), IPAddress.IPv6Loopback };
        elsewhere.AddRange(NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(n => n.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .Where(a => !IPAddress.IsLoopback(a) && !a.IsIPv6LinkLocal));
        foreach (var address in elsewhere)
        {
            Assert.False(await AcceptsAsync(address, server.Port), $"the server accepts connections on {address}");
        }

        Assert.True(await AcceptsAsync(IPAddress.Loopback, server.Port));
    }

    [Fact]
    public async Task TimerInvocation_RunsARegisteredTimer_AndAnUnknownNameIsAProblem404()
    {
        using var client = server.CreateClient();
        var timers = fixture.Functions.Where(f => f.Value[0].Type == "timerTrigger").Select(f => f.Key).ToList();

        foreach (var timer in timers)
        {
            var reply = await client.SendAsync(TimerInvocation(timer));
            var body = await reply.Content.ReadAsStringAsync();
            Assert.True(reply.IsSuccessStatusCode, $"{timer}: {(int)reply.StatusCode} {body}");
            var json = JsonDocument.Parse(body).RootElement;
            Assert.Equal(JsonValueKind.Object, json.GetProperty("Outputs").ValueKind);
            Assert.Equal(JsonValueKind.Array, json.GetProperty("Logs").ValueKind);
        }

        // Whether or not timers exist, a name the app does not know must fail the invocation clearly.
        var unknown = await client.SendAsync(TimerInvocation("NoSuchFunction"));
        await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, ProblemCodes.RouteNotFound);
    }

    [Fact]
    public async Task ProxiedRequest_TheAppSeesTheClientsSchemeAndHost()
    {
        using var client = server.CreateClient();
        using var proxied = new HttpRequestMessage(HttpMethod.Get, "/api/v1/openapi.json");

        // What YARP in the host adds; it drops the original Host, so Host is our loopback address.
        proxied.Headers.Add("X-Forwarded-For", "203.0.113.7");
        proxied.Headers.Add("X-Forwarded-Proto", "https");
        proxied.Headers.Add("X-Forwarded-Host", "myapp.azurewebsites.net");

        var forwarded = await ServerUrlAsync(await client.SendAsync(proxied));
        var direct = await ServerUrlAsync(await client.GetAsync("/api/v1/openapi.json"));

        // The OpenAPI document names the server by the request's scheme and host. X-Forwarded-For has
        // no observable effect on any response today (it feeds RemoteIpAddress, used only by the
        // anonymous rate-limit partition, which no anonymous route uses).
        Assert.Equal("https://myapp.azurewebsites.net/", forwarded);
        Assert.Equal($"http://127.0.0.1:{server.Port}/", direct);
    }

    [Fact]
    public async Task Settings_RoundTripWithATokenMintedByTheSameBinary()
    {
        var user = "real-" + Guid.NewGuid().ToString("N")[..8];
        var minted = await ServerProcess.RunCommandAsync(fixture.Environment, TimeSpan.FromSeconds(60), DevelopmentTokenCommand.Name, user);
        Assert.True(minted.ExitCode == 0, minted.StandardError);
        using var client = server.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", minted.StandardOutput.Trim());

        var put = await client.PutAsJsonAsync("/api/v1/settings/ui/theme", new { value = new { mode = "dark" } });
        var get = await client.GetAsync("/api/v1/settings/ui/theme");
        using var anonymous = server.CreateClient();
        var refused = await anonymous.GetAsync("/api/v1/settings/ui/theme");

        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal(put.Headers.ETag, get.Headers.ETag);
        var body = JsonDocument.Parse(await get.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("dark", body.GetProperty("value").GetProperty("mode").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
    }

    private static HttpRequestMessage TimerInvocation(string functionName)
    {
        var now = DateTime.UtcNow;
        var payload = new
        {
            Data = new Dictionary<string, object>
            {
                ["timer"] = new
                {
                    Schedule = new { AdjustForDST = true },
                    ScheduleStatus = new { Last = "0001-01-01T00:00:00", Next = now.AddMinutes(5).ToString("O"), LastUpdated = now.ToString("O") },
                    IsPastDue = false,
                },
            },
            Metadata = new { sys = new { MethodName = functionName, UtcNow = now.ToString("O"), RandGuid = Guid.NewGuid().ToString() } },
        };
        var request = new HttpRequestMessage(HttpMethod.Post, "/" + functionName)
        {
            Content = new StringContent(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1000.0.0");
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1000.0.0");
        return request;
    }

    private static async Task<string?> ServerUrlAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        return document.GetProperty("servers")[0].GetProperty("url").GetString();
    }

    private static async Task<bool> AcceptsAsync(IPAddress address, int port)
    {
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await socket.ConnectAsync(address, port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }
}
