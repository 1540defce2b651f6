using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Circuits;

/// <summary>
/// Exact edge-level patching (the evaluation of Conmy et al.'s ACDC and Hanna et al.'s EAP-IG): runs the clean input with every
/// edge outside a circuit carrying its corrupted value, many circuits batched per forward pass.
/// </summary>
/// <remarks>
/// The residual stream is a sum of writes, so the input a reader v sees is x_v = b + Σ_{u before v} w_u (b: biases, the same
/// in every run). Patching the edges u → v outside the circuit C replaces w_u by w′_u in that one reader's input only:
/// x̃_v = x_v − Σ_{u: (u→v) ∉ C} (w_u − w′_u), where w_u is u's output in this (patched) run and w′_u its corrupted value
/// (<see cref="Corruption"/>). Applied at every reader (each head's q/k/v input before its layer norm, each MLP's input,
/// the final residual stream) in one forward pass. C = every edge reproduces the clean run exactly (nothing is subtracted);
/// C = ∅ gives every reader the corrupted stream, i.e. the corrupted run — both tested. Circuits are stacked along the batch:
/// variant i owns rows [i·batch, (i+1)·batch), with its own removal matrix R_i[v, u] ∈ {0, 1}.
/// </remarks>
public sealed class CircuitPatcher : IDisposable
{
    private readonly HookedTransformer _model;
    private readonly Tensor _clean;            // [batch, pos]
    private readonly Tensor _corruptedWrites;  // [U, batch, pos, d_model]: w′_u
    private readonly Func<Tensor, Tensor> _metric;
    private readonly int _maxVariants;

    /// <summary>Prepares patching of <paramref name="model"/> on <paramref name="cleanTokens"/>: one forward pass for the corrupted writes and one for the clean and empty circuits.</summary>
    /// <param name="model">The model; its hook options are restored after each call.</param>
    /// <param name="cleanTokens">[batch, pos] or [pos].</param>
    /// <param name="corruption">The corrupted values of the writes.</param>
    /// <param name="metric">logits [batch, pos, d_vocab] → [batch]; called on each circuit's rows, averaged over the batch.</param>
    /// <param name="maxVariantsPerPass">How many circuits share one forward pass (1: one forward pass per circuit).</param>
    /// <exception cref="ArgumentException">Bad tokens, a corruption of another shape, a metric that does not return [batch].</exception>
    /// <exception cref="ArgumentOutOfRangeException">A variant cap below 1.</exception>
    public CircuitPatcher(HookedTransformer model, Tensor cleanTokens, Corruption corruption, Func<Tensor, Tensor> metric, int maxVariantsPerPass = 8)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(corruption);
        ArgumentNullException.ThrowIfNull(metric);
        if (maxVariantsPerPass < 1)
            throw new ArgumentOutOfRangeException(nameof(maxVariantsPerPass), maxVariantsPerPass, "expected at least 1 circuit per forward pass.");
        _model = model;
        _metric = metric;
        _maxVariants = maxVariantsPerPass;
        Graph = CircuitGraph.Of(model.Cfg);
        Corruption = corruption;
        using (NewDisposeScope())
        using (no_grad())
        {
            var clean = InputValidation.Tokens(cleanTokens, model.Cfg, nameof(cleanTokens)).to(model.Device);
            var (source, transform) = corruption.Source(model, clean);
            var (_, cache) = model.RunWithCache(source, EdgeAttributionPatching.WriteNames(model));
            using (cache)
            {
                Tensor Write(string name) => transform is null ? cache[name] : transform(cache[name]);
                var (_, writes) = EdgeAttributionPatching.NodeWrites(model, Write);
                _corruptedWrites = writes.DetachFromDisposeScope();
            }
            _clean = clean.clone().DetachFromDisposeScope();
        }
        ForwardPasses = 1;
        var all = Enumerable.Repeat(true, Graph.Edges.Count).ToArray();
        var metrics = Metrics([all, new bool[Graph.Edges.Count]]);
        (CleanMetric, CorruptedMetric) = (metrics[0], metrics[1]);
    }

    /// <summary>The graph whose edges a circuit selects.</summary>
    public CircuitGraph Graph { get; }

    /// <summary>The corruption the edges outside a circuit carry.</summary>
    public Corruption Corruption { get; }

    /// <summary>M(every edge): the clean run's batch-mean metric.</summary>
    public double CleanMetric { get; }

    /// <summary>M(no edge): every edge corrupted (for a paired corruption, the corrupted prompt's run).</summary>
    public double CorruptedMetric { get; }

    /// <summary>Forward passes run so far (the corrupted writes' pass included).</summary>
    public int ForwardPasses { get; private set; }

    /// <summary>The batch-mean metric with only each circuit's edges clean, one value per circuit.</summary>
    /// <param name="circuits">Each a mask over <see cref="CircuitGraph.Edges"/> (true: in the circuit, clean).</param>
    /// <exception cref="ArgumentException">A mask of the wrong length.</exception>
    public double[] Metrics(IReadOnlyList<bool[]> circuits)
    {
        ArgumentNullException.ThrowIfNull(circuits);
        foreach (var c in circuits)
            if (c is null || c.Length != Graph.Edges.Count)
                throw new ArgumentException($"circuits holds a mask of length {c?.Length.ToString() ?? "null"}; expected one bool per graph edge ({Graph.Edges.Count}).", nameof(circuits));
        var results = new double[circuits.Count];
        var previous = _model.Options;
        try
        {
            _model.SetHookOptions(previous with { UseSplitQkvInput = true, UseHookMlpIn = !_model.Cfg.AttnOnly });
            for (int start = 0; start < circuits.Count; start += _maxVariants)
            {
                var chunk = circuits.Skip(start).Take(_maxVariants).ToList();
                var values = Run(chunk);
                Array.Copy(values, 0, results, start, values.Length);
                ForwardPasses++;
            }
        }
        finally
        {
            _model.SetHookOptions(previous);
        }
        return results;
    }

    /// <summary>The metric of one circuit given by its edges (matched by name to the graph's).</summary>
    public double Metric(IEnumerable<GraphEdge> edges) => Metrics([Mask(edges)])[0];

    /// <summary>
    /// Faithfulness and completeness of the circuit made of <paramref name="edges"/>: the circuit and its complement are patched
    /// in one batched forward pass.
    /// </summary>
    public CircuitEvaluation Evaluate(IEnumerable<GraphEdge> edges)
    {
        var mask = Mask(edges);
        var metrics = Metrics([mask, mask.Select(b => !b).ToArray()]);
        return CircuitEvaluation.From(CleanMetric, CorruptedMetric, metrics[0], metrics[1], mask.Count(b => b), Graph.Edges.Count,
            Circuit.NodesOf(Graph.Edges.Where((_, i) => mask[i])).Count, ForwardPasses);
    }

    /// <summary>The mask of the graph's edges named by <paramref name="edges"/>.</summary>
    /// <exception cref="ArgumentException">An edge that is not in this model's graph.</exception>
    public bool[] Mask(IEnumerable<GraphEdge> edges)
    {
        ArgumentNullException.ThrowIfNull(edges);
        var mask = new bool[Graph.Edges.Count];
        foreach (var e in edges)
        {
            int i = Graph.IndexOf(e.Name);
            if (i < 0)
                throw new ArgumentException($"edges holds {e.Name}, which is not an edge of this model's graph ({Graph.Edges.Count} edges; an edge needs its writer to run before its reader).", nameof(edges));
            mask[i] = true;
        }
        return mask;
    }

    /// <summary>One forward pass over the variants of <paramref name="chunk"/>: the metric per variant.</summary>
    private double[] Run(IReadOnlyList<bool[]> chunk)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cfg = _model.Cfg;
        int variants = chunk.Count, writers = Graph.Upstream.Count, readers = Graph.Downstream.Count;
        long batch = _clean.shape[0];
        // R[reader, variant, writer] = 1 where the edge is outside the circuit.
        var removed = new float[readers * variants * writers];
        var anyRemoved = new bool[readers];
        for (int v = 0; v < variants; v++)
            for (int e = 0; e < chunk[v].Length; e++)
                if (!chunk[v][e])
                {
                    int d = Graph.DownstreamIndex[e];
                    removed[(d * variants + v) * writers + Graph.UpstreamIndex[e]] = 1;
                    anyRemoved[d] = true;
                }
        var dtype = _corruptedWrites.dtype;
        var r = tensor(removed, device: _model.Device).reshape(readers, variants, writers).to(dtype);  // [D, V, U]

        // w_u − w′_u of the writers run so far, in groups: (first writer, [k, V, batch, pos, d_model]).
        var deltas = new List<(int Start, Tensor Delta)>();
        Tensor? embed = null;
        Tensor Corrupted(int start, int count) => _corruptedWrites[TensorIndex.Slice(start, start + count)].repeat(1, variants, 1, 1);  // [k, V·batch, pos, d]
        void Add(int start, Tensor writes) => deltas.Add((start, (writes - Corrupted(start, (int)writes.shape[0])).reshape(writes.shape[0], variants, batch, writes.shape[2], writes.shape[3])));
        void EnsureInput()
        {
            if (deltas.Count == 0)
                Add(0, embed!.unsqueeze(0));
        }
        // Σ_u R[reader, v, u] (w_u − w′_u) for readers [first, first + count): [V·batch, pos, count, d] (or without the count axis).
        Tensor Correction(int first, int count, bool perHead)
        {
            EnsureInput();
            int readable = Graph.Readable[first];
            var rows = r[TensorIndex.Slice(first, first + count)];  // [count, V, U]
            Tensor? sum = null;
            foreach (var (start, delta) in deltas)
            {
                if (start >= readable)
                    break;
                int k = Math.Min((int)delta.shape[0], readable - start);
                var part = einsum("cvk,kvbpd->vbpcd", rows[.., .., TensorIndex.Slice(start, start + k)], delta[TensorIndex.Slice(0, k)]);
                sum = sum is null ? part : sum + part;
            }
            var total = sum!.reshape(variants * batch, sum.shape[2], count, sum.shape[4]);
            return perHead ? total : total.squeeze(2);
        }
        bool AnyRemoved(int first, int count) => anyRemoved.Skip(first).Take(count).Any(b => b);

        var hooks = new List<Hook>
        {
            new("hook_embed", (x, _) => { embed = x; return null; }),
        };
        if (_model.pos_embed is not null)
            hooks.Add(new Hook("hook_pos_embed", (x, _) => { embed = embed! + x; return null; }));
        int writer = 1;
        for (int l = 0; l < cfg.NLayers; l++)
        {
            int layer = l;
            int headStart = writer;
            hooks.Add(new Hook($"blocks.{l}.attn.hook_z", (z, _) =>
            {
                EnsureInput();
                Add(headStart, einsum("bphe,hed->hbpd", z, _model.blocks[layer].attn.W_O.detach()));  // [head, V·batch, pos, d]
                return null;
            }));
            writer += cfg.NHeads;
            foreach (var (point, input) in new[] { ("hook_q_input", EdgeInput.Query), ("hook_k_input", EdgeInput.Key), ("hook_v_input", EdgeInput.Value) })
            {
                int first = Graph.Downstream.ToList().FindIndex(g => g.Node.Layer == layer && g.Input == input);
                int count = input == EdgeInput.Query ? cfg.NHeads : cfg.EffectiveKeyValueHeads;
                if (AnyRemoved(first, count))
                    hooks.Add(new Hook($"blocks.{l}.{point}", (x, _) => x - Correction(first, count, perHead: true)));
            }
            if (!cfg.AttnOnly)
            {
                int mlpWriter = writer++;
                int reader = Graph.Downstream.ToList().FindIndex(g => g.Node.Layer == layer && g.Input == EdgeInput.Mlp);
                if (anyRemoved[reader])
                    hooks.Add(new Hook($"blocks.{l}.hook_mlp_in", (x, _) => x - Correction(reader, 1, perHead: false)));
                hooks.Add(new Hook($"blocks.{l}.hook_mlp_out", (x, _) => { Add(mlpWriter, x.unsqueeze(0)); return null; }));
            }
        }
        int logits = readers - 1;
        if (anyRemoved[logits])
            hooks.Add(new Hook($"blocks.{cfg.NLayers - 1}.hook_resid_post", (x, _) => x - Correction(logits, 1, perHead: false)));

        var output = _model.RunWithHooks(_clean.repeat(variants, 1), hooks);  // [V·batch, pos, d_vocab]
        return Enumerable.Range(0, variants)
            .Select(v => PatchingInputs.Mean(_metric, output[TensorIndex.Slice(v * batch, (v + 1) * batch)], batch)).ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _corruptedWrites.Dispose();
        _clean.Dispose();
    }
}
