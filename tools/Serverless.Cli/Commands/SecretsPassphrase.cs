using System.CommandLine;

namespace Serverless.Cli.Commands;

/// <summary>
/// The passphrase integration secrets travel under in bundles (docs/bundle-format.md, "integration"): the server seals
/// them with it on export and opens them with it on import. It is read from a file or the environment, never from the
/// command line, where other users of the machine could see it in the process list.
/// </summary>
internal static class SecretsPassphrase
{
    /// <summary>The environment variable holding the passphrase.</summary>
    public const string Variable = "ASSISTANT_BACKEND_SECRETS_PASSPHRASE";

    /// <summary>The option naming a file whose first line is the passphrase.</summary>
    public static Option<string?> CreateOption(string purpose) => new("--secrets-passphrase-file")
    {
        Description = $"A file whose first line is the passphrase that {purpose} (12 to 1,024 printable ASCII characters); else {Variable}; without either, secrets are left out.",
    };

    /// <summary>The passphrase from <paramref name="option"/>'s file, else from the environment, else null.</summary>
    public static async Task<string?> ReadAsync(ParseResult parsed, Option<string?> option, CliContext context, CancellationToken cancellationToken)
    {
        if (parsed.GetValue(option) is { } file)
        {
            string? line;
            try
            {
                using var reader = new StreamReader(file);
                line = await reader.ReadLineAsync(cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new CliException(ExitCodes.Usage, "usage", $"--secrets-passphrase-file {file}: {e.Message}");
            }

            return string.IsNullOrEmpty(line) ? throw new CliException(ExitCodes.Usage, "usage", $"--secrets-passphrase-file {file}: the first line is empty.") : line;
        }

        return context.Environment(Variable) is { Length: > 0 } value ? value : null;
    }
}
