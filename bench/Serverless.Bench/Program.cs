using Serverless.Bench;
using Serverless.Bench.AgentState;
using Serverless.Bench.App;
using Serverless.Bench.Artifacts;
using Serverless.Bench.Conversations;
using Serverless.Bench.Lifecycle;
using Serverless.Bench.Missions;
using Serverless.Bench.Portability;
using Serverless.Bench.Storage;

// The suite table: adding a suite is adding one entry. Each runner gets the arguments
// that follow the suite name and returns the process exit code.
var suites = new SortedDictionary<string, Func<string[], Task<int>>>(StringComparer.Ordinal)
{
    ["agent-state"] = AgentStateSuite.RunAsync,
    ["app"] = AppSuite.RunAsync,
    ["artifacts"] = ArtifactsSuite.RunAsync,
    ["conversations"] = ConversationsSuite.RunAsync,
    ["lifecycle"] = LifecycleSuite.RunAsync,
    ["missions"] = MissionsSuite.RunAsync,
    ["portability"] = PortabilitySuite.RunAsync,
    ["storage"] = StorageSuite.RunAsync,
    // Planned by its owner: "missions".
};

if (args.Length == 1 && args[0] is "-h" or "--help")
{
    Console.Out.WriteLine(Usage());
    return 0;
}

if (args.Length == 0 || !suites.TryGetValue(args[0], out var runSuite))
{
    await Console.Error.WriteLineAsync(args.Length == 0 ? "missing suite" : $"unknown suite '{args[0]}'");
    await Console.Error.WriteLineAsync(Usage());
    return 2;
}

try
{
    return await runSuite(args[1..]);
}
catch (BenchUsageException e)
{
    await Console.Error.WriteLineAsync($"{args[0]}: {e.Message}");
    return 2;
}

string Usage() => $"usage: bench/run <suite> [options]\nsuites: {string.Join(", ", suites.Keys)}\n"
    + "output: one 'name: value' line per figure; lines starting with '#' are comments";
