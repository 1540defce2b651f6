using Arrakis.Circuits;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Circuit discovery and evaluation, interleaved (<see cref="InterleavedProbe"/>):
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- circuits [rounds] [threads]</c>. On gpt2-mini-language's
/// IOI workload (<see cref="PatchingWorkload"/>): ACDC (τ = 0.02, exact patching, one forward pass per edge tried) against
/// EAP and EAP-IG top 10 % (2–3 forward + 1 backward passes, then one exact evaluation), each with its forward-pass count;
/// then the evaluation of 32 random circuits, batched (8 per forward pass) against one forward pass per circuit.
/// </summary>
internal static class CircuitProbe
{
    public static int Run(int rounds, int threads)
    {
        set_num_threads(threads);
        using var work = PatchingWorkload.Create("gpt2-mini-language");
        var (model, clean, metric) = (work.Model, work.Clean, work.Metric);
        var corruption = Corruption.Paired(work.Corrupted);
        int graphEdges = CircuitGraph.Of(model.Cfg).Edges.Count;
        Circuit Discover(Func<CircuitPatcher, Circuit> method)
        {
            using var scope = NewDisposeScope();
            using var patcher = new CircuitPatcher(model, clean, corruption, metric);
            return method(patcher);
        }
        var found = new Dictionary<string, Circuit>();
        var discovery = new (string Name, Func<object?> Run)[]
        {
            ("ACDC, τ = 0.02", () => found["acdc"] = Discover(p => CircuitDiscovery.Acdc(p, model, 0.02))),
            ("EAP, top 10 %", () => found["eap"] = Discover(p => CircuitDiscovery.Eap(p, model, clean, metric, topK: graphEdges / 10))),
            ("EAP-IG (8 steps), top 10 %", () => found["eap-ig"] = Discover(p => CircuitDiscovery.Eap(p, model, clean, metric, topK: graphEdges / 10, integratedGradientSteps: 8))),
        };
        InterleavedProbe.Run($"circuit discovery, gpt2-mini-language IOI: {clean.shape[0]} × {clean.shape[1]} tokens, {graphEdges} edges, {get_num_threads()} threads", discovery, rounds);
        foreach (var (name, circuit) in found)
            Console.WriteLine($"  {name}: {circuit.ForwardPasses} forward + {circuit.BackwardPasses} backward passes (patcher setup excluded: 1 + 1 more); {circuit.Evaluation}");

        var random = new Random(1);
        var circuits = Enumerable.Range(0, 32).Select(_ => Enumerable.Range(0, graphEdges).Select(_ => random.NextDouble() < 0.1).ToArray()).ToList();
        using var batched = new CircuitPatcher(model, clean, corruption, metric, maxVariantsPerPass: 8);
        using var looped = new CircuitPatcher(model, clean, corruption, metric, maxVariantsPerPass: 1);
        var evaluation = new (string Name, Func<object?> Run)[]
        {
            ("32 circuits, one forward pass each", () => looped.Metrics(circuits).Sum()),
            ("32 circuits, batched 8 per pass", () => batched.Metrics(circuits).Sum()),
        };
        InterleavedProbe.Run("circuit evaluation, 32 random circuits (10 % of the edges each)", evaluation, rounds);
        return 0;
    }
}
