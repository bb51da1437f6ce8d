using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Serverless.Cli.Api;
using Serverless.Cli.Configuration;
using Spectre.Console;

namespace Serverless.Cli.Commands;

/// <summary>
/// <c>login</c>: stores the server's address and a token in the user's config file (0600). The token is given
/// (<c>--token</c>, <c>--token-stdin</c>) or, for a local development server, minted by the server's own
/// <c>mint-token</c> command (<c>--dev-user</c>; what <c>scripts/run</c> prints). The token is checked with one
/// authenticated read unless <c>--no-verify</c>.
/// </summary>
internal sealed class LoginCommand : ICliCommand
{
    /// <summary>Where <c>scripts/run</c> builds the server, relative to the repository root.</summary>
    public const string DefaultServerDll = "src/Functions/bin/Debug/net10.0/Serverless.Functions.dll";

    public Command Build(CliContext context)
    {
        var url = new Option<string>("--url") { Description = "The server's base address, e.g. http://localhost:7071 (what scripts/run prints).", Required = true };
        var token = new Option<string?>("--token") { Description = "A bearer token (a JWT of your identity provider, or a development token)." };
        var tokenStdin = new Option<bool>("--token-stdin") { Description = "Read the token from stdin (keeps it out of the shell history)." };
        var devUser = new Option<string?>("--dev-user") { Description = "Mint a development token for this user id with the local server's mint-token command (Development only)." };
        var serverDll = new Option<string?>("--server-dll") { Description = $"The local server's Serverless.Functions.dll for --dev-user (default: ./{DefaultServerDll}, as scripts/run builds it)." };
        var noVerify = new Option<bool>("--no-verify") { Description = "Store without checking the token against the server." };
        var command = new Command("login", "Stores the server address and a token in your config file (readable by you only).") { url, token, tokenStdin, devUser, serverDll, noVerify };
        command.SetAction((parsed, cancellationToken) => CliApp.GuardAsync(parsed, context, async output =>
        {
            var sources = (parsed.GetValue(token) is not null ? 1 : 0) + (parsed.GetValue(tokenStdin) ? 1 : 0) + (parsed.GetValue(devUser) is not null ? 1 : 0);
            if (sources != 1)
            {
                throw new CliException(ExitCodes.Usage, "usage", "Give exactly one of --token, --token-stdin or --dev-user.");
            }

            var bearer = parsed.GetValue(token)
                ?? (parsed.GetValue(tokenStdin) ? (await context.Input.ReadLineAsync(cancellationToken))?.Trim() : null)
                ?? await MintAsync(parsed.GetValue(serverDll) ?? Path.GetFullPath(DefaultServerDll), parsed.GetValue(devUser)!, cancellationToken);
            if (string.IsNullOrWhiteSpace(bearer))
            {
                throw new CliException(ExitCodes.Usage, "usage", "The token is empty.");
            }

            var baseUrl = parsed.GetValue(url)!.TrimEnd('/');
            using (var client = new ApiClient(baseUrl, bearer, context.Handler))
            {
                if (!parsed.GetValue(noVerify))
                {
                    // The cheapest authenticated read there is: one page of one thread.
                    await client.GetAsync("api/v1/threads?limit=1", cancellationToken);
                }
            }

            var file = CliApp.Config(parsed, context);
            file.Write(new CliConfig(baseUrl, bearer, DateTimeOffset.UtcNow));
            output.Result(
                new JsonObject { ["baseUrl"] = baseUrl, ["config"] = file.Path, ["verified"] = !parsed.GetValue(noVerify) },
                console => console.MarkupLineInterpolated($"Logged in to [bold]{baseUrl}[/]; token stored in {file.Path} (mode 0600)."));
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Runs <c>dotnet Serverless.Functions.dll mint-token {user}</c> in the Development environment, in the dll's folder (where its appsettings are).</summary>
    private static async Task<string> MintAsync(string dll, string user, CancellationToken cancellationToken)
    {
        if (!File.Exists(dll))
        {
            throw new CliException(ExitCodes.Usage, "server_not_built", $"{dll} does not exist: run scripts/run (or dotnet build src/Functions) first, or pass --server-dll.");
        }

        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("mint-token");
        start.ArgumentList.Add(user);
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        using var process = Process.Start(start) ?? throw new CliException(ExitCodes.Failure, "mint_failed", "dotnet did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new CliException(ExitCodes.Auth, "mint_failed", $"mint-token failed (exit {process.ExitCode}): {(await stderr).Trim()}");
        }

        return (await stdout).Trim();
    }
}
