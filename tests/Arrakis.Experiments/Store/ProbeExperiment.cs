using Arrakis.Bench;
using Arrakis.Tools;

namespace Arrakis.Experiments.Store;

/// <summary>Experiments that exercise the store's edge cases: any argument, async, void, failure.</summary>
public partial class ProbeExperiment(HookedTransformer model, string saveDir, IToolRegistry tools, Action<string>? warn = null)
    : InterpretabilityBench(model, saveDir, tools, warn)
{
    public int Calls { get; private set; }

    [UseTools("decomposer"), LogExperiment]
    public object? Echo(object? payload, IResidualDecomposer decomposer)
    {
        Calls++;
        return payload;
    }

    [UseTools("decomposer"), LogExperiment]
    public async Task<int> CountAsync(int x, IResidualDecomposer decomposer)
    {
        await Task.Yield();
        Calls++;
        return x + 1;
    }

    [UseTools("decomposer"), LogExperiment]
    public void Fail(string reason, IResidualDecomposer decomposer)
    {
        Calls++;
        throw new InvalidOperationException(reason);
    }
}
