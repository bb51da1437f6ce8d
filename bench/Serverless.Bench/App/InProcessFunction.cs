using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serverless.Functions.Hosting;
using Serverless.Functions.Settings;
using Serverless.Functions.Storage;
using Serverless.Testing;

namespace Serverless.Bench.App;

/// <summary>
/// The settings GET as the isolated worker runs it, in this process, without a Functions host (none
/// can run here): the worker app built with its real registrations, its gRPC link to a host removed,
/// each call on an invocation scope through <see cref="WorkerApiMiddleware"/> (JWT check, rate limit,
/// problem boundary) into <see cref="SettingsFunctions.GetSetting"/>, the returned result executed into
/// a <see cref="DefaultHttpContext"/>. What is left out is the host's share: its HTTP front end, the
/// proxy to the worker and the invocation's gRPC round trip.
/// </summary>
internal sealed class InProcessFunction : IAsyncDisposable
{
    private readonly IHost host;
    private readonly string authorization;

    private InProcessFunction(IHost host, string token)
    {
        this.host = host;
        authorization = new AuthenticationHeaderValue("Bearer", token).ToString();
    }

    public static async Task<InProcessFunction> StartAsync(IReadOnlyDictionary<string, string> environment, string token)
    {
        // App settings as the host passes them (environment variables; here the command line, Section__Key form).
        var builder = WorkerApp.CreateBuilder([.. environment.Where(e => e.Key.Contains("__", StringComparison.Ordinal)).Select(e => $"--{e.Key.Replace("__", ":", StringComparison.Ordinal)}={e.Value}")]);
        foreach (var worker in builder.Services.Where(d => d.ImplementationType?.Name == "WorkerHostedService").ToList())
        {
            builder.Services.Remove(worker);
        }

        var host = builder.Build();
        foreach (var bootstrap in host.Services.GetServices<IHostedService>().Where(s => s.GetType().Name == "StorageBootstrap"))
        {
            await bootstrap.StartAsync(CancellationToken.None);
        }

        await host.Services.GetRequiredService<StorageReadiness>().Ready.WaitAsync(TimeSpan.FromSeconds(60));
        return new InProcessFunction(host, token);
    }

    /// <summary>One GET of the setting; throws unless it answered 200.</summary>
    public async Task GetSettingAsync(string settingNamespace, string key)
    {
        await using var scope = host.Services.CreateAsyncScope();
        var http = new DefaultHttpContext { RequestServices = scope.ServiceProvider };
        http.Request.Method = "GET";
        http.Request.Path = $"/api/v1/settings/{settingNamespace}/{key}";
        http.Request.Headers.Authorization = authorization;
        http.Response.Body = Stream.Null;
        var context = new TestFunctionContext(nameof(SettingsFunctions.GetSetting), WorkerApiMiddleware.HttpTriggerType, scope.ServiceProvider, http);
        await scope.ServiceProvider.GetRequiredService<WorkerApiMiddleware>().Invoke(context, async _ =>
        {
            var functions = ActivatorUtilities.CreateInstance<SettingsFunctions>(scope.ServiceProvider);
            var result = await functions.GetSetting(http.Request, settingNamespace, key, CancellationToken.None);
            await result.ExecuteAsync(http);
        });
        if (http.Response.StatusCode != StatusCodes.Status200OK)
        {
            throw new InvalidOperationException($"the in-process GetSetting answered {http.Response.StatusCode}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var service in host.Services.GetServices<IHostedService>().Where(s => s.GetType().Name == "StorageBootstrap"))
        {
            await service.StopAsync(CancellationToken.None);
        }

        host.Dispose();
    }
}
