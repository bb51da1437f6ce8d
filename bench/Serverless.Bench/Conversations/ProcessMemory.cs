using System.Globalization;

namespace Serverless.Bench.Conversations;

/// <summary>
/// Another process's memory from <c>/proc/&lt;pid&gt;/status</c>: <c>VmRSS</c> (its working set now)
/// and <c>VmHWM</c> (the peak since it started, or since the peak was reset by writing 5 to
/// <c>/proc/&lt;pid&gt;/clear_refs</c>, which Linux allows the process's owner).
/// </summary>
internal static class ProcessMemory
{
    /// <summary>A field of /proc/&lt;pid&gt;/status in bytes, or null when it cannot be read.</summary>
    public static long? Read(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith(field + ":", StringComparison.Ordinal))
                {
                    // "VmRSS:	  123456 kB"
                    var number = line[(field.Length + 1)..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                    return long.Parse(number, NumberStyles.None, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return null;
        }

        return null;
    }

    /// <summary>Resets VmHWM to the current VmRSS; false when the kernel or permissions do not allow it.</summary>
    public static bool TryResetPeak(int pid)
    {
        try
        {
            File.WriteAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}

/// <summary>Reads a process's VmRSS every <c>interval</c> on a background task and keeps the largest.</summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;
    private long max;
    private int samples;

    public RssSampler(int pid, TimeSpan interval)
    {
        loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                if (ProcessMemory.Read(pid, "VmRSS") is { } rss)
                {
                    max = Math.Max(max, rss);
                    samples++;
                }
            }
            while (await Next(timer));
        });
    }

    /// <summary>The largest VmRSS read, in bytes (valid after disposal).</summary>
    public long Max => max;

    /// <summary>How many readings were taken.</summary>
    public int Samples => samples;

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        await loop;
        stop.Dispose();
    }

    private async Task<bool> Next(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>A read-only pass-through that counts the bytes read from the stream below.</summary>
internal sealed class CountingStream(Stream inner) : Stream
{
    public long Count { get; private set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count)
    {
        var n = inner.Read(buffer, offset, count);
        Count += n;
        return n;
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var n = await inner.ReadAsync(buffer, cancellationToken);
        Count += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
