using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using Serverless.Bench.App;
using Serverless.Functions.Api;
using Azure.Storage.Blobs;
using Serverless.Storage.Conversations;
using Serverless.Storage.Lifecycle;
using Serverless.Storage.Pipeline;
using Serverless.Storage.Payloads;
using Azure.Data.Tables;
using Serverless.Storage.Users;
using Serverless.Testing;

namespace Serverless.Bench.Conversations;

/// <summary>
/// One part's storage and app configuration: its own tables and containers in the shared Azurite
/// (so no part's rows slow another's queries), the published server's environment pointing at them,
/// one user with a bearer token, and our storage client's stores on the same table and container,
/// in that user's partition, for the raw side of each comparison and for fast setup.
/// </summary>
internal sealed class ConversationsDeployment
{
    private readonly PublishedApp server;
    private readonly Dictionary<string, string> environment;
    private readonly string cursorKey;
    private readonly TableClient[] tables;
    private readonly BlobContainerClient[] containers;

    private ConversationsDeployment(PublishedApp server, Azurite azurite)
    {
        this.server = server;
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        cursorKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        UserId = "bench-" + Guid.NewGuid().ToString("N")[..8];
        User = UserPartition.For(UserId);
        Token = BenchToken.Mint(secret, UserId);

        var names = new
        {
            Users = Azurite.UniqueName("cu"),
            Due = Azurite.UniqueName("cd"),
            Expiry = Azurite.UniqueName("ce"),
            Lifecycle = Azurite.UniqueName("cj"),
            Payloads = Azurite.UniqueName("cp"),
        };
        environment = AppSuite.ServerEnvironment(azurite.ConnectionString, secret);
        environment["Storage__UserTable"] = names.Users;
        environment["Storage__DueTable"] = names.Due;
        environment["Storage__ExpiryTable"] = names.Expiry;
        environment["Storage__LifecycleTable"] = names.Lifecycle;
        environment["Storage__PayloadContainer"] = names.Payloads;
        environment["Api__CursorSigningKey"] = cursorKey;

        var counted = azurite.Connect(RoundTrips.AddTo);
        Table = counted.Tables.GetTableClient(names.Users);
        Payloads = counted.Blobs.GetBlobContainerClient(names.Payloads);
        Expiry = counted.Tables.GetTableClient(names.Expiry);
        Threads = new ThreadStore(Table, TimeProvider.System, new ExpiryIndex(Expiry, new SettingsStore(Table), new RetentionPolicy(), TimeProvider.System));
        Messages = new MessageStore(Table, Threads, new PayloadStore(Payloads), TimeProvider.System);
        tables = [Table, azurite.Table(names.Due), Expiry, azurite.Table(names.Lifecycle)];
        containers = [Payloads];
    }

    public string UserId { get; }

    public UserPartition User { get; }

    public string Token { get; }

    /// <summary>Counts the raw stores' requests (the app's are its own).</summary>
    public RoundTripCounter RoundTrips { get; } = new();

    /// <summary>The app's user table, through our client.</summary>
    public TableClient Table { get; }

    /// <summary>The expiry index the app writes when threads are deleted (the raw stores write it too).</summary>
    public TableClient Expiry { get; }

    /// <summary>The app's payload container, through our client.</summary>
    public BlobContainerClient Payloads { get; }

    public ThreadStore Threads { get; }

    public MessageStore Messages { get; }

    /// <summary>
    /// Runs <paramref name="measure"/> on a deployment of its own (created, then cleaned up whatever
    /// happens), the way every part that talks to the server does.
    /// </summary>
    public static async Task<int> RunAsync(ConversationsContext context, Func<ConversationsDeployment, Task> measure)
    {
        var deployment = await CreateAsync(context.Azurite, context.PublishedServer);
        try
        {
            await measure(deployment);
        }
        finally
        {
            await deployment.CleanupAsync();
        }

        return 0;
    }

    /// <summary>As <see cref="RunAsync(ConversationsContext, Func{ConversationsDeployment, Task})"/>, with one server process started on the deployment.</summary>
    public static Task<int> RunWithAppAsync(ConversationsContext context, Func<ConversationsDeployment, RunningApp, Task> measure) =>
        RunAsync(context, async deployment =>
        {
            await using var app = await deployment.StartAppAsync();
            await measure(deployment, app);
        });

    /// <summary>Names the part's tables and containers and creates the two the raw stores use (the app creates the rest at startup).</summary>
    public static async Task<ConversationsDeployment> CreateAsync(Azurite azurite, PublishedApp server)
    {
        var deployment = new ConversationsDeployment(server, azurite);
        await deployment.Table.CreateIfNotExistsAsync();
        await deployment.Expiry.CreateIfNotExistsAsync();
        await deployment.Payloads.CreateIfNotExistsAsync();
        return deployment;
    }

    /// <summary>Starts the published server on this deployment's storage and waits for its health check.</summary>
    /// <param name="extraEnvironment">Variables added for this start only (e.g. a GC setting).</param>
    public async Task<RunningApp> StartAppAsync(IReadOnlyDictionary<string, string>? extraEnvironment = null)
    {
        var process = AppProcess.Start(server, extraEnvironment is null ? environment : new Dictionary<string, string>(environment.Concat(extraEnvironment)));
        try
        {
            var client = await AppSuite.ReadyClientAsync(process, Token);
            return new RunningApp(process, client, Token);
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>Creates an empty thread with our store.</summary>
    public Task<ThreadRecord> CreateThreadAsync(string threadId) =>
        Threads.CreateAsync(User, ThreadRecord.New(threadId, threadId, null, false, false, DateTimeOffset.UtcNow, ThreadLineage.None), null, default);

    /// <summary>
    /// Appends <paramref name="count"/> messages made by <paramref name="make"/> with our store,
    /// <paramref name="perAppend"/> per atomic append, sequentially (appends to one thread serialize on its row).
    /// </summary>
    /// <returns>The thread afterwards and how long it took.</returns>
    public async Task<(ThreadRecord Thread, TimeSpan Elapsed)> FillAsync(string threadId, int count, int perAppend, Func<int, NewMessage> make, string? progress = null)
    {
        var watch = Stopwatch.StartNew();
        ThreadRecord? thread = null;
        var lastReport = TimeSpan.Zero;
        for (var done = 0; done < count;)
        {
            var n = Math.Min(perAppend, count - done);
            var batch = Enumerable.Range(done, n).Select(make).ToList();
            var result = await Messages.AppendAsync(User, threadId, batch, default) ?? throw new InvalidOperationException($"thread {threadId} is missing");
            thread = result.Thread;
            done += n;
            if (progress is not null && watch.Elapsed - lastReport > TimeSpan.FromSeconds(10))
            {
                lastReport = watch.Elapsed;
                Figures.Progress(string.Create(CultureInfo.InvariantCulture, $"{progress}: {done:N0}/{count:N0} in {watch.Elapsed.TotalSeconds:0} s"));
            }
        }

        return (thread ?? (await Threads.GetAsync(User, threadId, default))!, watch.Elapsed);
    }

    /// <summary>
    /// The cursor the server would hand out for a page of the thread's messages that ends at
    /// sequence <paramref name="after"/>: minted with the server's own <see cref="CursorProtector"/>
    /// and signing key, so a page from the middle of a long thread needs no paging to get there.
    /// </summary>
    public string MessagesCursor(string threadId, bool descending, long after)
    {
        var protector = new CursorProtector(Options.Create(new ApiOptions { CursorSigningKey = cursorKey }), new HostingEnvironment { EnvironmentName = "Production" });
        var scope = $"messages:{threadId}:{(descending ? "desc" : "asc")}";
        return protector.Protect(UserId, scope, after.ToString(CultureInfo.InvariantCulture))!;
    }

    /// <summary>Deletes the part's tables and containers (missing ones are fine).</summary>
    public async Task CleanupAsync()
    {
        foreach (var table in tables)
        {
            await table.DeleteAsync();
        }

        foreach (var container in containers)
        {
            await container.DeleteIfExistsAsync();
        }
    }
}

/// <summary>A started server and a keep-alive client with the bench user's token.</summary>
internal sealed class RunningApp(AppProcess process, HttpClient client, string token) : IAsyncDisposable
{
    public AppProcess Process => process;

    public HttpClient Client => client;

    /// <summary>
    /// A client for long responses: no overall timeout and no automatic decompression, so the bench
    /// sees and counts the bytes exactly as the server sent them.
    /// </summary>
    public HttpClient StreamingClient()
    {
        var streaming = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None })
        {
            BaseAddress = process.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        streaming.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return streaming;
    }

    public async ValueTask DisposeAsync()
    {
        client.Dispose();
        await process.DisposeAsync();
    }
}
