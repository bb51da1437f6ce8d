using Microsoft.Extensions.Options;

namespace Serverless.Functions.Identity;

/// <summary>
/// <c>Serverless.Functions mint-token &lt;userId&gt;</c>: prints a development token for a user id
/// and exits. Refused outside the Development environment or with development tokens disabled.
/// </summary>
public static class DevelopmentTokenCommand
{
    /// <summary>The command word.</summary>
    public const string Name = "mint-token";

    /// <summary>Runs the command when <paramref name="args"/> asks for it.</summary>
    /// <returns>The process exit code, or null when the arguments are not this command.</returns>
    public static int? TryRun(string[] args, IServiceProvider services)
    {
        if (args.Length == 0 || args[0] != Name)
        {
            return null;
        }

        if (args.Length != 2 || string.IsNullOrWhiteSpace(args[1]))
        {
            Console.Error.WriteLine($"usage: {Name} <userId>");
            return 2;
        }

        var environment = services.GetRequiredService<IHostEnvironment>();
        var options = services.GetRequiredService<IOptions<AuthOptions>>().Value.Development;
        if (!environment.IsDevelopment() || !options.Enabled)
        {
            Console.Error.WriteLine($"{Name} works only in the Development environment with Auth:Development:Enabled (now: {environment.EnvironmentName}, enabled={options.Enabled}).");
            return 1;
        }

        Console.WriteLine(DevelopmentTokens.Mint(options, args[1], services.GetRequiredService<TimeProvider>()));
        return 0;
    }
}
