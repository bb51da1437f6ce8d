using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Serverless.Tests.Missions;

/// <summary>One request the receiver got.</summary>
public sealed record ReceivedWebhook(string Path, string Id, string Timestamp, string Signature, string Body, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A local Kestrel webhook receiver on 127.0.0.1: <c>/ok</c> answers 200 with a small JSON body, <c>/fail</c> 500,
/// <c>/gone</c> 410, <c>/redirect</c> 302 to <c>/ok</c>, <c>/hang</c> never answers, <c>/echo</c> answers 200 with the request's
/// headers (and 2,000 dots, so the body is stored beyond the excerpt), <c>/big</c> answers 200 with
/// <see cref="BigBody"/>, <c>/stall</c> answers 200 with <see cref="StallBytes"/> bytes and then never finishes the body.
/// Records every request.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    /// <summary>How many bytes <c>/stall</c> sends before it stalls.</summary>
    public const int StallBytes = 2000;

    /// <summary>The Content-Type of <c>/big</c>.</summary>
    public const string BigContentType = "text/plain; charset=utf-8";

    private readonly WebApplication app;

    /// <summary>
    /// <c>/big</c>'s body: 200 KiB of UTF-8 text whose 1,023rd to 1,025th bytes are one character (€), so a 1 KiB cut
    /// splits it, followed by numbered lines, so any prefix of it is distinguishable from any other.
    /// </summary>
    public static byte[] BigBody { get; } = Encoding.UTF8.GetBytes(
        new string('a', 1022) + "€" + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"line {i:D6}\n")))[..(200 * 1024)];

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
                    context.Response.ContentType = BigContentType;
                    await context.Response.Body.WriteAsync(BigBody);
                    break;
                case "/echo":
                    // Answers with the request's headers, as a careless receiver might: what a run log must not keep of a secret.
                    context.Response.ContentType = "text/plain";
                    await context.Response.WriteAsync(string.Concat(headers.Select(h => $"{h.Key}: {h.Value}\n")) + new string('.', 2000));
                    break;
                case "/stall":
                    context.Response.ContentType = "text/plain";
                    await context.Response.Body.WriteAsync(Encoding.ASCII.GetBytes(new string('y', StallBytes)));
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
                    break;
                default:
                    context.Response.ContentType = "application/json";
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
