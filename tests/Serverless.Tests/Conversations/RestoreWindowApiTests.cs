using System.Net;
using Serverless.Tests.Testing;

namespace Serverless.Tests.Conversations;

public sealed class RestoreWindowApiTests : IAsyncLifetime
{
    private ApiFactory factory = null!;

    public async Task InitializeAsync() => factory = new ApiFactory(await Azurite.Shared, new Dictionary<string, string?>
    {
        ["Conversations:RestoreWindow"] = "00:00:00",
    });

    public async Task DisposeAsync() => await factory.DisposeAsync();

    [Fact]
    public async Task Restore_AfterTheWindow_Is404_AndTheThreadStaysInTheTrash()
    {
        var alice = factory.ClientFor("alice");
        var created = await alice.PostAsync("/api/v1/threads", new StringContent("{}", System.Text.Encoding.UTF8, "application/json"));
        var id = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
        await alice.DeleteAsync($"/api/v1/threads/{id}");

        await ProblemAssert.IsProblemAsync(await alice.PostAsync($"/api/v1/threads/{id}/restore", null), HttpStatusCode.NotFound, "not_found");
        Assert.Contains(id!, await alice.GetStringAsync("/api/v1/threads?deleted=true"), StringComparison.Ordinal);
    }
}
