using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Functions;

/// <summary>
/// The OpenAPI document: complete enough to generate a client (lint-clean by @redocly/cli, every
/// operation secured or marked anonymous, list parameters and conditional headers described), and a
/// contract that catches answers it does not describe.
/// </summary>
public sealed class OpenApiDocumentTests : IAsyncLifetime
{
    private ApiFactory factory = null!;
    private string document = null!;

    public async Task InitializeAsync()
    {
        factory = new ApiFactory(await Azurite.Shared, localScheduler: false);
        document = await factory.CreateClient().GetStringAsync("/api/v1/openapi.json");
    }

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Document_IsLintCleanForRedocly()
    {
        var file = Path.Combine(Path.GetTempPath(), $"openapi-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, document);
        try
        {
            var lint = new ProcessStartInfo(RepositoryPaths.Combine("node_modules", ".bin", "redocly"), ["lint", file, "--config", RepositoryPaths.Combine("redocly.yaml"), "--format", "stylish"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
                Environment = { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true" },
            };
            using var process = Process.Start(lint)!;
            var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();

            Assert.True(process.ExitCode == 0, output);
            Assert.DoesNotMatch(@"\d+:\d+\s+(warning|error)", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Operations_SayHowToCallThem()
    {
        var root = JsonDocument.Parse(document).RootElement;
        var paths = root.GetProperty("paths");
        var listThreads = paths.GetProperty("/api/v1/threads").GetProperty("get");
        var putSetting = paths.GetProperty("/api/v1/settings/{namespace}/{key}").GetProperty("put");
        var createThread = paths.GetProperty("/api/v1/threads").GetProperty("post");
        var health = paths.GetProperty("/api/health").GetProperty("get");

        Assert.Equal("bearer", root.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.Equal(
            ["limit", "cursor", "order", "sort", "archived", "starred", "deleted"],
            listThreads.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()));
        Assert.Contains(putSetting.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "If-Match" && p.GetProperty("in").GetString() == "header");
        Assert.True(putSetting.GetProperty("responses").GetProperty("200").GetProperty("headers").TryGetProperty("ETag", out _));
        Assert.True(putSetting.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        Assert.True(putSetting.GetProperty("responses").GetProperty("412").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.Contains(createThread.GetProperty("parameters").EnumerateArray(), p => p.GetProperty("name").GetString() == "Idempotency-Key");
        Assert.Equal(JsonValueKind.Array, putSetting.GetProperty("security").ValueKind);
        Assert.NotEqual(0, putSetting.GetProperty("security").GetArrayLength());
        Assert.False(health.GetProperty("responses").TryGetProperty("401", out _));
        foreach (var operation in paths.EnumerateObject().SelectMany(p => p.Value.EnumerateObject()).Select(o => o.Value)
            .Where(o => o.GetProperty("operationId").GetString() is not ("Health" or "Ready" or "GetOpenApiDocument")))
        {
            Assert.True(operation.GetProperty("responses").TryGetProperty("401", out _), operation.GetProperty("operationId").GetString());
        }

        var ready = paths.GetProperty("/api/ready").GetProperty("get");
        Assert.False(ready.GetProperty("responses").TryGetProperty("401", out _));
        Assert.True(ready.GetProperty("responses").GetProperty("503").GetProperty("content").TryGetProperty("application/problem+json", out _));
    }

    [Fact]
    public void Appends_SayWhatTheyAnswer_TheMessageAlone_OrTheThreadWithTheMessages()
    {
        var paths = JsonDocument.Parse(document).RootElement.GetProperty("paths");
        var single = paths.GetProperty("/api/v1/threads/{threadId}/messages").GetProperty("post");
        var batch = paths.GetProperty("/api/v1/threads/{threadId}/messages/batch").GetProperty("post");

        Assert.Contains("Answers the appended message itself", single.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("{thread, messages}", single.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.Contains("Answers {thread, messages}", batch.GetProperty("description").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/MessageView", single.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/AppendView", batch.GetProperty("responses").GetProperty("201").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Contract_RefusesUndocumentedStatuses_AndBodiesOffTheSchema()
    {
        var contract = OpenApiContract.Parse(document);
        var valid = Encoding.UTF8.GetBytes("""{"namespace":"ui","key":"theme","value":1,"updatedAt":"2026-01-01T00:00:00.0000000Z","unreadable":null}""");
        var missing = Encoding.UTF8.GetBytes("""{"namespace":"ui","key":"theme","value":1}""");
        var extra = Encoding.UTF8.GetBytes("""{"namespace":"ui","key":"theme","value":1,"updatedAt":"2026-01-01T00:00:00.0000000Z","unreadable":null,"secret":"x"}""");
        var problem = Encoding.UTF8.GetBytes("""{"type":"t","title":"Not found.","status":404,"code":"not_found","traceId":"0"}""");
        var noCode = Encoding.UTF8.GetBytes("""{"type":"t","title":"Not found.","status":404,"traceId":"0"}""");

        Assert.Empty(contract.Check("GetSetting", 200, "application/json; charset=utf-8", null, valid));
        Assert.NotEmpty(contract.Check("GetSetting", 200, "application/json", null, missing));
        Assert.NotEmpty(contract.Check("GetSetting", 200, "application/json", null, extra));
        Assert.Empty(contract.Check("GetSetting", 404, "application/problem+json", null, problem));
        Assert.NotEmpty(contract.Check("GetSetting", 404, "application/problem+json", null, noCode));
        Assert.NotEmpty(contract.Check("GetSetting", 409, "application/problem+json", null, problem));
        Assert.NotEmpty(contract.Check("NoSuchOperation", 200, "application/json", null, valid));
    }

    [Fact]
    public void ApiFactory_HoldsEveryAnswerToTheContract()
    {
        Assert.Contains(factory.Services.GetServices<IStartupFilter>(), f => f is OpenApiContract.CheckingStartupFilter);
    }
}
