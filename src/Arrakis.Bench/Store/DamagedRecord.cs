namespace Arrakis.Bench;

/// <summary>A line of an experiment's <c>runs.jsonl</c> that does not hold a readable record (say, a writer killed mid-line).</summary>
/// <param name="Path">The file (absolute).</param>
/// <param name="Line">The line number, from 1.</param>
/// <param name="Reason">Why it could not be read.</param>
public sealed record DamagedRecord(string Path, int Line, string Reason)
{
    /// <summary><c>file:line: reason</c>, as compilers name places.</summary>
    public override string ToString() => $"{Path}:{Line}: {Reason}";
}
