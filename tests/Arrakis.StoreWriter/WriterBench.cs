using Arrakis.Bench;

namespace Arrakis.StoreWriter;

/// <summary>Stamps a record with the writing process, so a reader can tell whose record it is.</summary>
[Tool("stamp")]
public interface IStamp
{
    /// <summary>The stamp of record <paramref name="index"/> of <paramref name="writer"/>.</summary>
    string Stamp(string writer, int index);
}

/// <summary>The stamp tool: writer, index and process id.</summary>
public sealed class ProcessStamp : IStamp
{
    public string Stamp(string writer, int index) => $"{writer}#{index}@{Environment.ProcessId}";
}

/// <summary>What one run returns: the stamp and the payload it was given (so a torn record cannot parse or match).</summary>
public sealed record StampedPayload(string Writer, int Index, string Stamp, string Payload);

/// <summary>A bench whose one experiment is recorded by the store like any other.</summary>
public partial class WriterBench(HookedTransformer model, string saveDir) : InterpretabilityBench(model, saveDir)
{
    /// <summary>Records one run; <paramref name="payload"/> appears in the arguments and the result.</summary>
    [UseTools("stamp"), LogExperiment]
    public StampedPayload Append(string writer, int index, string payload, IStamp stamp) =>
        new(writer, index, stamp.Stamp(writer, index), payload);
}
