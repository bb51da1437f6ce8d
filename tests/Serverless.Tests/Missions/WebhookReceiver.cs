using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Missions;

/// <summary>One request the receiver got.</summary>
public sealed record ReceivedWebhook(string Path, string Id, string Timestamp, string Signature, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A local Kestrel webhook receiver on 127.0.0.1: <c>/ok</c> answers 200, <c>/fail</c> 500, <c>/gone</c> 410,
/// <c>/redirect</c> 302 to <c>/ok</c>, <c>/hang</c> never answers. Records every request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication app;

    private WebhookReceiver(WebApplication app, int port)
    {
        this.app = app;
        Port = port;
    }

    public int Port { get; }

    public string Target => $"127.0.0.1:{Port}";

    public ConcurrentQueue<ReceivedWebhook> Received { get; } = new();

    public string Url(string path) => $"http://127.0.0.1:{Port}{path}";

    public IEnumerable<ReceivedWebhook> At(string path) => Received.Where(r => r.Path == path);

    public static async Task<WebhookReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        WebhookReceiver? self = null;
        app.Run(async context =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
            var path = context.Request.Path.Value ?? "/";
            self!.Received.Enqueue(new ReceivedWebhook(path, headers.GetValueOrDefault("webhook-id", ""), headers.GetValueOrDefault("webhook-timestamp", ""), headers.GetValueOrDefault("webhook-signature", ""), body, headers));
            switch (path)
            {
                case "/fail":
                    context.Response.StatusCode = 500;
                    await context.Response.WriteAsync("boom");
                    break;
                case "/gone":
                    context.Response.StatusCode = 410;
                    break;
                case "/redirect":
                    context.Response.StatusCode = 302;
                    context.Response.Headers.Location = "/ok";
                    break;
                case "/hang":
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                    break;
                case "/big":
                    await context.Response.WriteAsync(new string('x', 100_000));
                    break;
                default:
                    await context.Response.WriteAsync("{\"ok\":true}");
                    break;
            }
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());
        self = new WebhookReceiver(app, address.Port);
        return self;
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;
}
