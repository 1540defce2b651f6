using System.Diagnostics;

namespace Arrakis.Bench.Tests.Support;

public static class Wait
{
    /// <summary>Polls <paramref name="condition"/> every 10 ms until it holds; returns the time it took, or throws after <paramref name="timeout"/>.</summary>
    public static TimeSpan Until(Func<bool> condition, TimeSpan timeout, Func<string> describe)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) throw new TimeoutException($"not within {timeout.TotalSeconds:0.#} s: {describe()}");
            Thread.Sleep(10);
        }
        return clock.Elapsed;
    }
}
