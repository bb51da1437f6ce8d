using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Serverless.Bundles;

namespace Serverless.Cli.Importers;

/// <summary>
/// Nova HUD's data (seed 000, "Persistence Audit"): § "Chat/Thread/Message Persistence" (localStorage
/// <c>nova-conversations</c>, <c>nova-active-conversation</c>), § "Notifications / Mission Schedules Persistence"
/// (<c>data/notification-schedules.json</c> with <c>runCount</c>, <c>successCount</c>, <c>failureCount</c>,
/// <c>lastRunAt</c>), § "Memory Persistence" (<c>nova_memory.json</c>), § "Integration/Provider Config Persistence"
/// (<c>data/integrations-config.json</c>, secrets encrypted at rest). The seed names the files and a few fields, not
/// their full shapes: the shapes assumed are in the README ("Importers", Nova HUD), and anything else fails with
/// the place and what was expected.
/// </summary>
/// <param name="paths">Files or folders (folders are searched for the file names above).</param>
/// <param name="secretKey">The 32-byte AES-256-GCM key Nova's server store encrypts secrets with, or null (secrets are then left out).</param>
public sealed class NovaImporter(IReadOnlyList<string> paths, byte[]? secretKey) : IAppImporter
{
    /// <summary>The records collection schedules go to.</summary>
    public const string SchedulesCollection = "nova-notification-schedules";

    /// <summary>The prefix of an encrypted secret value: <c>enc:v1:{iv}:{tag}:{ciphertext}</c>, each base64.</summary>
    public const string SecretPrefix = "enc:v1:";

    private const string ConversationsFile = "nova-conversations.json";
    private static readonly string[] DataFiles = ["notification-schedules.json", "nova_memory.json", "integrations-config.json"];
    private static readonly string[] KnownNames = [.. DataFiles, ConversationsFile];

    /// <inheritdoc/>
    public string App => "nova-hud";

    /// <inheritdoc/>
    public async Task WriteAsync(BundleBuilder bundle, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var files = Files();
        string? Find(string name) => files.LastOrDefault(f => Path.GetFileName(f) == name);
        var storage = files.Where(f => !DataFiles.Contains(Path.GetFileName(f))).ToList();
        if (storage.Count > 1)
        {
            throw new CliException(ExitCodes.Usage, "usage", $"--from nova takes one localStorage file (the nova-conversations value or a localStorage dump); found {string.Join(", ", storage)}.");
        }

        if (storage.Count == 1)
        {
            await ConversationsAsync(storage[0], bundle, cancellationToken);
        }

        if (Find("notification-schedules.json") is { } schedules)
        {
            await SchedulesAsync(schedules, bundle, cancellationToken);
        }

        if (Find("nova_memory.json") is { } memory)
        {
            await MemoryAsync(memory, bundle, cancellationToken);
        }

        if (Find("integrations-config.json") is { } integrations)
        {
            await IntegrationsAsync(integrations, bundle, cancellationToken);
        }
    }

    /// <summary>The files to read: files as given; in folders, the known names up to three levels down (<c>hud/data/…</c>).</summary>
    private List<string> Files()
    {
        var files = new List<string>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.EnumerateFiles(path, "*.json", new EnumerationOptions { RecurseSubdirectories = true, MaxRecursionDepth = 3 })
                    .Where(f => KnownNames.Contains(Path.GetFileName(f)) && !f.Contains("node_modules", StringComparison.Ordinal))
                    .Order(StringComparer.Ordinal).ToList();
                if (found.Count == 0)
                {
                    throw ImportValues.NotUnderstood(path, $"no Nova HUD file in this folder ({string.Join(", ", KnownNames)}).");
                }

                files.AddRange(found);
            }
            else if (File.Exists(path))
            {
                files.Add(path);
            }
            else
            {
                throw ImportValues.NotUnderstood(path, "no such file or folder.");
            }
        }

        return files;
    }

    /// <summary>
    /// The conversations: the <c>nova-conversations</c> value (an array), or a localStorage dump (an object holding it
    /// under that key, as an array or as the JSON string localStorage keeps). Each conversation:
    /// <c>{id, title?, messages: [{id?, role, content, createdAt?}], createdAt?, updatedAt?}</c>.
    /// </summary>
    private static async Task ConversationsAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        var root = ImportValues.ReadJsonFile(path);
        JsonNode? conversations = root;
        if (root is JsonObject dump)
        {
            conversations = dump["nova-conversations"] ?? throw ImportValues.NotUnderstood(path, "a JSON object without a 'nova-conversations' key (expected the localStorage value, an array, or a dump holding it).");
            if (conversations is JsonValue text && text.TryGetValue<string>(out var json))
            {
                conversations = ImportValues.JsonColumn(json, path + ": nova-conversations");
            }

            if (dump["nova-active-conversation"] is JsonValue active && active.TryGetValue<string>(out var activeId))
            {
                await using var settings = bundle.Kind("setting");
                await settings.AddAsync(new JsonObject { ["namespace"] = "nova", ["key"] = "activeConversation", ["value"] = ImportValues.ResourceId(activeId), ["updatedAt"] = BundleFormat.Timestamp(File.GetLastWriteTimeUtc(path)) }, path, cancellationToken);
                await settings.CompleteAsync(cancellationToken);
            }
        }

        if (conversations is not JsonArray list)
        {
            throw ImportValues.NotUnderstood(path, "nova-conversations is not an array of conversations.");
        }

        var fileTime = BundleFormat.Timestamp(File.GetLastWriteTimeUtc(path));
        await using var threads = bundle.Kind("thread");
        await using var messages = bundle.Kind("message");
        var index = 0;
        foreach (var item in list)
        {
            var source = $"{path}: conversation [{index++}]";
            if (item is not JsonObject conversation || ImportValues.Text(conversation, "id") is not { } id)
            {
                throw ImportValues.NotUnderstood(source, "expected an object with a string 'id'.");
            }

            var threadId = ImportValues.ResourceId(id);
            var createdAt = JsonLines.TimeOf(conversation, source, "createdAt", "timestamp") ?? fileTime;
            var title = ImportValues.Text(conversation, "title");
            var metadata = JsonLines.Without(conversation, "id", "title", "messages", "createdAt", "updatedAt", "timestamp");
            metadata["source"] = "nova-hud";
            if (threadId != id)
            {
                metadata["conversationId"] = id;
            }

            await threads.AddAsync(
                SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["id"] = threadId,
                    ["title"] = title is { Length: > 512 } ? title[..512] : title,
                    ["metadata"] = ImportValues.FitMetadata(metadata, bundle, "thread", source),
                    ["createdAt"] = createdAt,
                    ["updatedAt"] = JsonLines.TimeOf(conversation, source, "updatedAt"),
                }),
                source,
                cancellationToken);
            if (conversation["messages"] is not JsonArray history)
            {
                throw ImportValues.NotUnderstood(source, "no 'messages' array.");
            }

            long sequence = 0;
            foreach (var entry in history)
            {
                var at = $"{source} message [{sequence}]";
                if (entry is not JsonObject message)
                {
                    throw ImportValues.NotUnderstood(at, "expected a message object.");
                }

                sequence++;
                var role = ImportValues.Text(message, "role") ?? throw ImportValues.NotUnderstood(at, "no 'role'.");
                await messages.AddAsync(await JsonLines.MessageAsync(bundle, messages, message, threadId, sequence, role, createdAt, at, cancellationToken), at, cancellationToken);
            }
        }

        await threads.CompleteAsync(cancellationToken);
        await messages.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// The schedules: <c>{"schedules": [...]}</c> or an array; each an object with a string <c>id</c>. The counters go
    /// to the record's counters, <c>enabled</c> to its status, the rest to its data.
    /// </summary>
    private static async Task SchedulesAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        var root = ImportValues.ReadJsonFile(path);
        var list = root as JsonArray ?? (root as JsonObject)?["schedules"] as JsonArray
            ?? throw ImportValues.NotUnderstood(path, "expected an array of schedules, or an object with a 'schedules' array.");
        await using var records = bundle.Kind("record");
        var index = 0;
        foreach (var item in list)
        {
            var source = $"{path}: schedule [{index++}]";
            if (item is not JsonObject schedule || ImportValues.Text(schedule, "id") is not { } id)
            {
                throw ImportValues.NotUnderstood(source, "expected an object with a string 'id'.");
            }

            var counters = new JsonObject();
            foreach (var counter in new[] { "runCount", "successCount", "failureCount" })
            {
                if (schedule[counter] is not null)
                {
                    counters[counter] = ImportValues.Whole(schedule, counter) ?? throw ImportValues.NotUnderstood(source, $"'{counter}' is not a whole number.");
                }
            }

            var data = JsonLines.Without(schedule, "runCount", "successCount", "failureCount");
            if (ImportValues.ResourceId(id) != id)
            {
                data["scheduleId"] = id;
            }

            await records.AddAsync(
                SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["collection"] = SchedulesCollection,
                    ["id"] = ImportValues.ResourceId(id),
                    ["data"] = data,
                    ["status"] = schedule["enabled"] is JsonValue enabled && enabled.TryGetValue<bool>(out var on) ? (on ? "enabled" : "disabled") : null,
                    ["counters"] = counters.Count > 0 ? counters : null,
                    ["createdAt"] = JsonLines.TimeOf(schedule, source, "createdAt"),
                    ["updatedAt"] = JsonLines.TimeOf(schedule, source, "updatedAt"),
                }),
                source,
                cancellationToken);
        }

        await records.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// The memory: a JSON object. <c>facts</c> (an array of strings or objects) become memories under namespace
    /// <c>nova.facts</c> (key: the fact's <c>id</c>, else <c>fact-{n}</c>); every other member one memory under
    /// namespace <c>nova</c>, keyed by its name. Scope <c>user</c>.
    /// </summary>
    private static async Task MemoryAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        if (ImportValues.ReadJsonFile(path) is not JsonObject memory)
        {
            throw ImportValues.NotUnderstood(path, "expected a JSON object (facts and other memory members).");
        }

        var fileTime = BundleFormat.Timestamp(File.GetLastWriteTimeUtc(path));
        await using var memories = bundle.Kind("memory");
        foreach (var (name, value) in memory)
        {
            var source = $"{path}: {name}";
            if (name == "facts")
            {
                if (value is not JsonArray facts)
                {
                    throw ImportValues.NotUnderstood(source, "expected an array of facts.");
                }

                var n = 0;
                foreach (var fact in facts)
                {
                    n++;
                    var key = fact is JsonObject o && ImportValues.Text(o, "id") is { } factId ? MemoryKeys.Key(factId) : $"fact-{n:D4}";
                    await memories.AddAsync(MemoryKeys.Line("user", "nova.facts", key, fact, fact is JsonObject f ? JsonLines.TimeOf(f, source, "createdAt", "timestamp") ?? fileTime : fileTime), source, cancellationToken);
                }

                continue;
            }

            await memories.AddAsync(MemoryKeys.Line("user", "nova", MemoryKeys.Key(name), value, fileTime), source, cancellationToken);
        }

        await memories.CompleteAsync(cancellationToken);
    }

    /// <summary>
    /// The integration config: <c>{"{provider}": {…config…}}</c>. String values of the form
    /// <c>enc:v1:{iv}:{tag}:{ciphertext}</c> (AES-256-GCM, base64) are secrets: decrypted with the user's key into the
    /// line's <c>secrets</c> (named by their path in the provider's object), or left out and noted without one.
    /// </summary>
    private async Task IntegrationsAsync(string path, BundleBuilder bundle, CancellationToken cancellationToken)
    {
        if (ImportValues.ReadJsonFile(path) is not JsonObject providers)
        {
            throw ImportValues.NotUnderstood(path, "expected a JSON object of providers.");
        }

        await using var integrations = bundle.Kind("integration");
        foreach (var (provider, value) in providers)
        {
            var source = $"{path}: {provider}";
            if (value is not JsonObject config)
            {
                if (provider is "version" or "updatedAt")
                {
                    continue;
                }

                throw ImportValues.NotUnderstood(source, "expected a provider's config object.");
            }

            var secrets = new JsonObject();
            var clean = ExtractSecrets(config, string.Empty, secrets, bundle, source);
            await integrations.AddAsync(
                SidePanelImporter.WithoutNulls(new JsonObject
                {
                    ["provider"] = ImportValues.Name(provider, source),
                    ["config"] = clean,
                    ["secrets"] = secrets.Count > 0 ? secrets : null,
                }),
                source,
                cancellationToken);
        }

        await integrations.CompleteAsync(cancellationToken);
    }

    /// <summary>A copy of <paramref name="config"/> without its encrypted values, which go to <paramref name="secrets"/> (decrypted) when there is a key.</summary>
    private JsonObject ExtractSecrets(JsonObject config, string prefix, JsonObject secrets, BundleBuilder bundle, string source)
    {
        var clean = new JsonObject();
        foreach (var (name, value) in config)
        {
            var path = prefix + name;
            if (value is JsonObject nested)
            {
                clean[name] = ExtractSecrets(nested, path + ".", secrets, bundle, source);
            }
            else if (value is JsonValue text && text.TryGetValue<string>(out var s) && s.StartsWith(SecretPrefix, StringComparison.Ordinal))
            {
                if (secretKey is null)
                {
                    bundle.Note("integration", $"{source}.{path}", "secret left out: no --secret-key given to decrypt it");
                }
                else
                {
                    secrets[path] = Decrypt(s, $"{source}.{path}");
                }
            }
            else
            {
                clean[name] = value?.DeepClone();
            }
        }

        return clean;
    }

    private string Decrypt(string value, string source)
    {
        var parts = value[SecretPrefix.Length..].Split(':');
        if (parts.Length != 3)
        {
            throw ImportValues.NotUnderstood(source, $"an encrypted value must be {SecretPrefix}{{iv}}:{{tag}}:{{ciphertext}} (base64).");
        }

        try
        {
            var iv = Convert.FromBase64String(parts[0]);
            var tag = Convert.FromBase64String(parts[1]);
            var ciphertext = Convert.FromBase64String(parts[2]);
            var plaintext = new byte[ciphertext.Length];
            using var aes = new AesGcm(secretKey!, tag.Length);
            aes.Decrypt(iv, ciphertext, tag, plaintext);
            return Encoding.UTF8.GetString(plaintext);
        }
        catch (Exception e) when (e is FormatException or CryptographicException or ArgumentException)
        {
            throw new CliException(ExitCodes.InputFormat, "secret_not_decrypted", $"{source}: the secret does not decrypt with the given --secret-key ({e.Message}).");
        }
    }

    /// <summary>Parses <c>--secret-key</c>: 32 bytes as base64 or as 64 hex digits.</summary>
    public static byte[] ParseKey(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[]? key = null;
        if (text.Length == 64 && text.All(Uri.IsHexDigit))
        {
            key = Convert.FromHexString(text);
        }
        else
        {
            try
            {
                key = Convert.FromBase64String(text);
            }
            catch (FormatException)
            {
            }
        }

        return key is { Length: 32 } ? key : throw new CliException(ExitCodes.Usage, "usage", "--secret-key must be 32 bytes, as base64 or 64 hex digits (Nova's AES-256-GCM key).");
    }

    /// <summary>Encrypts <paramref name="plaintext"/> as Nova's store is assumed to (tests build fixtures with it).</summary>
    public static string Encrypt(byte[] key, string plaintext)
    {
        var iv = RandomNumberGenerator.GetBytes(12);
        var bytes = Encoding.UTF8.GetBytes(plaintext);
        var ciphertext = new byte[bytes.Length];
        var tag = new byte[16];
        using var aes = new AesGcm(key, tag.Length);
        aes.Encrypt(iv, bytes, ciphertext, tag);
        return $"{SecretPrefix}{Convert.ToBase64String(iv)}:{Convert.ToBase64String(tag)}:{Convert.ToBase64String(ciphertext)}";
    }
}

/// <summary>Memory keys and lines (the memories API: key 1-128 of <c>A-Z a-z 0-9 . _ : -</c>; namespace a dot path of up to 8 segments).</summary>
internal static class MemoryKeys
{
    /// <summary>A legal key for <paramref name="name"/>: itself, or its legal characters and 8 hex digits of its hash.</summary>
    public static string Key(string name)
    {
        var legal = new string(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-' ? c : '-').ToArray());
        if (legal == name && name.Length is >= 1 and <= 128)
        {
            return name;
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)))[..8];
        return (legal.Length > 119 ? legal[..119] : legal) + "-" + hash;
    }

    /// <summary>A namespace segment: letters, digits, <c>_</c> and <c>-</c> (other characters as <c>-</c>).</summary>
    public static string Segment(string name) =>
        new(name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '-').ToArray());

    /// <summary>A memory line.</summary>
    public static JsonObject Line(string scope, string @namespace, string key, JsonNode? value, string createdAt) => new()
    {
        ["scope"] = scope,
        ["namespace"] = @namespace,
        ["key"] = key,
        ["value"] = value?.DeepClone(),
        ["createdAt"] = createdAt,
    };
}
