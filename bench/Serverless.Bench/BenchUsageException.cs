namespace Serverless.Bench;

/// <summary>A bad command line: Program prints the message on stderr and exits with 2.</summary>
internal sealed class BenchUsageException(string message) : Exception(message);
