using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Cli.Configuration;

/// <summary>What <c>login</c> stores: the server and the token to call it with.</summary>
/// <param name="BaseUrl">The server's base address (without <c>/api</c>), e.g. <c>http://localhost:7071</c>.</param>
/// <param name="Token">The bearer token.</param>
/// <param name="SavedAt">When it was stored.</param>
public sealed record CliConfig(string BaseUrl, string Token, DateTimeOffset SavedAt);

/// <summary>
/// The user's config file: <c>$XDG_CONFIG_HOME/assistant-backend/config.json</c> (<c>~/.config/…</c>; on Windows
/// <c>%APPDATA%\assistant-backend\config.json</c>) unless <c>--config</c> or <c>ASSISTANT_BACKEND_CONFIG</c> names another.
/// It holds a token, so it is written readable by its owner only (0600, folder 0700) and replaced atomically.
/// </summary>
public sealed class ConfigFile(string path)
{
    /// <summary>The environment variable that names another config file.</summary>
    public const string PathVariable = "ASSISTANT_BACKEND_CONFIG";

    /// <summary>The environment variable whose value, when set, is used as the base address instead of the file's (scripts, CI).</summary>
    public const string UrlVariable = "ASSISTANT_BACKEND_URL";

    /// <summary>The environment variable whose value, when set, is used as the token instead of the file's (scripts, CI).</summary>
    public const string TokenVariable = "ASSISTANT_BACKEND_TOKEN";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    /// <summary>The file.</summary>
    public string Path { get; } = path;

    /// <summary>The file named by <paramref name="explicitPath"/>, else by the environment, else the default place.</summary>
    public static ConfigFile Resolve(string? explicitPath, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            return new ConfigFile(System.IO.Path.GetFullPath(explicitPath));
        }

        if (environment(PathVariable) is { Length: > 0 } fromEnvironment)
        {
            return new ConfigFile(System.IO.Path.GetFullPath(fromEnvironment));
        }

        var root = Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify);
        return new ConfigFile(System.IO.Path.Combine(root, "assistant-backend", "config.json"));
    }

    /// <summary>The stored config, or null when there is none.</summary>
    public CliConfig? Read()
    {
        if (!File.Exists(Path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<CliConfig>(File.ReadAllText(Path), Json);
        }
        catch (JsonException e)
        {
            throw new CliException(ExitCodes.Auth, "config_unreadable", $"The config file {Path} is not valid JSON ({e.Message}); run 'assistant-backend login' again.");
        }
    }

    /// <summary>Stores <paramref name="config"/>: a temporary file created 0600 in the same folder, then renamed over the old one.</summary>
    public void Write(CliConfig config)
    {
        var folder = System.IO.Path.GetDirectoryName(Path)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(folder);
        }
        else
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var temporary = Path + ".tmp-" + Environment.ProcessId;
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, config, Json);
        }

        if (!OperatingSystem.IsWindows())
        {
            // UnixCreateMode applies only when the file is new; a leftover temporary file keeps its mode otherwise.
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temporary, Path, overwrite: true);
    }

    /// <summary>The config to call the server with: the file's, with the environment's URL and token winning.</summary>
    public CliConfig Require(Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var stored = Read();
        var url = environment(UrlVariable) is { Length: > 0 } u ? u : stored?.BaseUrl;
        var token = environment(TokenVariable) is { Length: > 0 } t ? t : stored?.Token;
        if (url is null || token is null)
        {
            throw new CliException(ExitCodes.Auth, "not_logged_in", $"Not logged in: run 'assistant-backend login --url <server> --token <token>' (no config at {Path}).");
        }

        return new CliConfig(url, token, stored?.SavedAt ?? DateTimeOffset.UtcNow);
    }
}
