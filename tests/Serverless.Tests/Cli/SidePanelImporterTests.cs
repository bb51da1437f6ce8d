using System.Text.Json.Nodes;
using Serverless.Cli;
using Serverless.Cli.Commands;
using Serverless.Cli.Importers;

namespace Serverless.Tests.Cli;

/// <summary>The side panel importer on real SQLite files and exportAll JSON built from seed 001.</summary>
public sealed class SidePanelImporterTests : IDisposable
{
    private readonly CliRunner scratch = new();

    public void Dispose() => scratch.Dispose();

    [Fact]
    public async Task SessionsAndMessages_BecomeThreadsAndMessages_KeepingIdsTimesAndOrder()
    {
        var db = SidePanelFixture.Create(scratch.Folder);
        var bundle = await BundleContent.OfAsync(new SidePanelImporter([db]), scratch.Folder);

        Assert.Equal("sidepanel", bundle.Manifest.Source.App);
        var threads = bundle.Of("thread").ToDictionary(t => t["id"]!.GetValue<string>());
        var trip = threads["s-1"];
        Assert.Equal("Trip planning", trip["title"]!.GetValue<string>());
        Assert.Equal("2025-03-01T10:00:00.0000000Z", trip["createdAt"]!.GetValue<string>());
        Assert.Equal("2025-03-01T10:05:00.0000000Z", trip["updatedAt"]!.GetValue<string>());
        Assert.Equal("llama-3.3-70b", trip["metadata"]!["model"]!.GetValue<string>());
        Assert.Equal(0.0123, trip["metadata"]!["cost"]!.GetValue<double>());
        Assert.False(trip["archived"]!.GetValue<bool>());

        // An id with characters thread ids do not allow gets a legal, stable id; the original stays in metadata.
        var branch = Assert.Single(threads.Values, t => t["title"]!.GetValue<string>() == "Trip planning (alt)");
        Assert.Matches("^s-2-branch-[0-9a-f]{8}$", branch["id"]!.GetValue<string>());
        Assert.Equal("s.2 branch", branch["metadata"]!["sessionId"]!.GetValue<string>());
        Assert.Equal("s-1", branch["metadata"]!["parentSessionId"]!.GetValue<string>());
        Assert.True(branch["archived"]!.GetValue<bool>());
        Assert.Equal("2025-03-02T08:00:00.0000000Z", branch["createdAt"]!.GetValue<string>());

        var messages = bundle.Of("message");
        Assert.Equal(["s-1", "s-1", "s-1", "s-1", branch["id"]!.GetValue<string>()], messages.Select(m => m["threadId"]!.GetValue<string>()));
        Assert.Equal([1L, 2, 3, 4, 1], messages.Select(m => m["sequence"]!.GetValue<long>()));
        Assert.Equal(["m-1", "m-2", "m-3", "m-4", "m-5"], messages.Select(m => m["id"]!.GetValue<string>()));
        Assert.Equal(["user", "assistant", "tool", "assistant", "user"], messages.Select(m => m["role"]!.GetValue<string>()));
        Assert.Equal("Plan a trip to Lyon", messages[0]["content"]!.GetValue<string>());
        Assert.Equal("2025-03-01T10:00:01.0000000Z", messages[0]["createdAt"]!.GetValue<string>());
        Assert.Equal("search", messages[1]["toolCalls"]![0]!["function"]!["name"]!.GetValue<string>());
        Assert.Equal(120, messages[1]["promptTokens"]!.GetValue<long>());
        // The gap in the app's own numbering (2 → 5) is kept in metadata; the long answer travels as a blob file.
        Assert.Equal(5, messages[3]["metadata"]!["sequence"]!.GetValue<long>());
        Assert.Null(messages[3]["content"]);
        Assert.Equal(SidePanelFixture.LongAnswer, bundle.Text(messages[3]["contentFile"]!.GetValue<string>()));
    }

    [Fact]
    public async Task SnapshotsRecordingsAndAnalytics_BecomeArtifactsAndEvents()
    {
        var db = SidePanelFixture.Create(scratch.Folder);
        var bundle = await BundleContent.OfAsync(new SidePanelImporter([db]), scratch.Folder);

        var artifacts = bundle.Of("artifact").ToDictionary(a => a["kind"]!.GetValue<string>());
        var snapshot = artifacts["snapshot"];
        Assert.Equal("snapshot-snap-1", snapshot["id"]!.GetValue<string>());
        Assert.True(snapshot["starred"]!.GetValue<bool>());
        Assert.Equal("2025-03-01T10:06:00.0000000Z", snapshot["createdAt"]!.GetValue<string>());
        var state = JsonNode.Parse(bundle.Text(snapshot["contentFile"]!.GetValue<string>()))!;
        Assert.Equal("chat", state["state"]!["view"]!.GetValue<string>());
        Assert.Equal("user", state["trigger"]!["reason"]!.GetValue<string>());
        Assert.Equal("before refactor", state["description"]!.GetValue<string>());

        var recording = artifacts["recording"];
        Assert.Equal("Demo run", recording["name"]!.GetValue<string>());
        Assert.Equal("thread:s-1", recording["parent"]!.GetValue<string>());
        Assert.Equal(65000, JsonNode.Parse(bundle.Text(recording["contentFile"]!.GetValue<string>()))!["duration"]!.GetValue<long>());

        var events = bundle.Of("event");
        Assert.Equal(["completion", "session_end"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal("sidepanel-analytics-1", events[0]["id"]!.GetValue<string>());
        Assert.Equal(2100, events[0]["durationMs"]!.GetValue<long>());
        Assert.True(events[0]["properties"]!["stream"]!.GetValue<bool>());
        Assert.Equal("s-1", events[0]["threadId"]!.GetValue<string>());
        Assert.Equal("Session End", events[1]["properties"]!["eventType"]!.GetValue<string>());
    }

    [Fact]
    public async Task TheExportAllJson_BecomesSettings_WithoutTheOldAppsToken()
    {
        var json = SidePanelFixture.LocalStorage(scratch.Folder);
        var bundle = await BundleContent.OfAsync(new SidePanelImporter([json]), scratch.Folder);

        var settings = bundle.Of("setting").ToDictionary(s => s["key"]!.GetValue<string>());
        Assert.Equal(["recent.searches", "recent.sessions", "settings", "theme", "tour.completed", "ui.sidebarCollapsed"], settings.Keys.Order(StringComparer.Ordinal));
        Assert.All(settings.Values, s => Assert.Equal("sidepanel", s["namespace"]!.GetValue<string>()));
        Assert.Equal("dark", settings["theme"]["value"]!.GetValue<string>());
        Assert.Equal("llama-3.3-70b", settings["settings"]["value"]!["defaultModel"]!.GetValue<string>());
        Assert.Equal("2025-03-03T12:00:00.0000000Z", settings["theme"]["updatedAt"]!.GetValue<string>());
        Assert.Contains(bundle.Notes, n => n.Contains("sidepanel.auth.token", StringComparison.Ordinal) && n.Contains("left out", StringComparison.Ordinal));
        Assert.DoesNotContain("sk-old-app-token", string.Concat(bundle.Of("setting").Select(s => s.ToJsonString())), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheSameFiles_GiveTheSameBundleContent()
    {
        var db = SidePanelFixture.Create(scratch.Folder);
        var json = SidePanelFixture.LocalStorage(scratch.Folder);
        var first = await BundleContent.OfAsync(new SidePanelImporter([db, json]), scratch.Folder);
        var second = await BundleContent.OfAsync(new SidePanelImporter([json, db]), scratch.Folder);
        Assert.Equal(first.Manifest.Kinds.Select(k => (k.Kind, k.Sha256)), second.Manifest.Kinds.Select(k => (k.Kind, k.Sha256)));
    }

    [Theory]
    [InlineData(4, null, "schema_version 4 is not one the importer knows")]
    [InlineData(3, "ALTER TABLE messages ADD COLUMN reactions TEXT;", "column(s) the importer does not know: reactions")]
    [InlineData(3, "UPDATE messages SET role = 'function' WHERE id = 'm-3';", "role 'function' is not one of")]
    [InlineData(3, "UPDATE messages SET tool_calls = '[{broken' WHERE id = 'm-2';", "tool_calls: expected JSON text")]
    [InlineData(3, "UPDATE sessions SET created_at = 'yesterday' WHERE id = 's-1';", "'yesterday' is not a time")]
    [InlineData(3, "DELETE FROM schema_version;", "no schema_version row")]
    public async Task WhatTheImporterDoesNotUnderstand_FailsWithThePlaceAndTheReason(int version, string? sql, string expected)
    {
        var db = SidePanelFixture.Create(scratch.Folder, version, sql);
        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new SidePanelImporter([db]), scratch.Folder));
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Contains(db, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"other.theme": "dark"}""", "not a sidepanel.* key")]
    [InlineData("""["sidepanel.theme"]""", "expected the JSON object exportAll() returns")]
    [InlineData("""{"sidepanel.theme": "dark",""", "not valid JSON")]
    [InlineData("""{"sidepanel.a b": 1}""", "is not a settings name")]
    public async Task ALocalStorageFileItDoesNotUnderstand_Fails(string json, string expected)
    {
        var file = SidePanelFixture.LocalStorage(scratch.Folder, json);
        var error = await Assert.ThrowsAsync<CliException>(() => BundleContent.OfAsync(new SidePanelImporter([file]), scratch.Folder));
        Assert.Equal(ExitCodes.InputFormat, error.ExitCode);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATableTheSeedListsWithoutASchema_IsLeftOutWithANote()
    {
        var db = SidePanelFixture.Create(scratch.Folder, 3, "CREATE TABLE file_changes (id TEXT, diff TEXT); INSERT INTO file_changes VALUES ('f1', '+a');");
        var bundle = await BundleContent.OfAsync(new SidePanelImporter([db]), scratch.Folder);
        Assert.Contains(bundle.Notes, n => n.Contains("table file_changes", StringComparison.Ordinal) && n.Contains("1 rows", StringComparison.Ordinal));
    }
}
