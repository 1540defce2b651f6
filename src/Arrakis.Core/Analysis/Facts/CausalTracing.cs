using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Facts;

/// <summary>
/// Causal tracing (Meng et al. 2022, "Locating and Editing Factual Associations in GPT", ROME): corrupt the subject's
/// token embeddings with Gaussian noise, then restore one state — the residual stream, an MLP output or an attention
/// output at one (layer, position), or a window of layers — to its clean value, and measure the probability of the
/// correct object at the last position.
/// </summary>
/// <remarks>
/// With h the state, o the target and x* the input whose subject embeddings e_s carry noise e_s + ε, ε ~ N(0, σ²I):
/// <list type="bullet">
/// <item>clean P(o) and corrupted P*(o) = mean over samples of P(o | x*);</item>
/// <item>total effect TE = P(o) − P*(o); indirect effect of h: IE(h) = P*(o | clean h) − P*(o) (ROME);</item>
/// <item>natural direct effect NDE(h) = P(o | clean x, h held at its corrupted value) − P*(o) (Vig et al. 2020); in
/// general TE ≠ IE + NDE, the model being non-linear.</item>
/// </list>
/// σ defaults to 3 × the standard deviation of token embeddings (ROME's choice). Every restoration is a real forward pass:
/// restorations go through the model as batch rows — each takes <see cref="CausalTraceOptions.Samples"/> rows, one per
/// noise sample, the noise of sample s identical in every restoration — as many per pass as the options allow; the
/// values equal one restoration per forward. Arrakis's <c>trace_token_probability</c> took a gradient norm of a detached
/// clone and always failed.
/// </remarks>
public static class CausalTracing
{
    /// <summary>The causal-tracing grids of one prompt, [layer, position] per state type.</summary>
    /// <param name="model">The model; hooks are removed afterwards.</param>
    /// <param name="tokens">One prompt, [pos] or [1, pos].</param>
    /// <param name="subjectStart">First subject position (corrupted).</param>
    /// <param name="subjectEnd">One past the last subject position.</param>
    /// <param name="target">The correct object's token id; its probability after the last position is measured.</param>
    /// <param name="options">Samples, seed, σ, window, states, batching.</param>
    /// <exception cref="ArgumentException">Malformed tokens, or an empty subject span.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A span, target, position or option out of range.</exception>
    public static CausalTrace Trace(HookedTransformer model, Tensor tokens, int subjectStart, int subjectEnd, long target, CausalTraceOptions? options = null)
    {
        var run = Prepare(model, tokens, subjectStart, subjectEnd, target, options);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var cfg = model.Cfg;
        var positions = run.Options.Positions?.ToArray() ?? Enumerable.Range(0, (int)run.Ids.shape[1]).ToArray();
        foreach (int p in positions)
            if (p < 0 || p >= run.Ids.shape[1])
                throw new ArgumentOutOfRangeException(nameof(options), p, $"options.Positions holds {p}; expected positions in [0, {run.Ids.shape[1]}).");
        foreach (var state in run.Options.States)
            if (!Enum.IsDefined(state) || (cfg.AttnOnly && state == TraceState.Mlp))
                throw new ArgumentOutOfRangeException(nameof(options), state, $"options.States holds {state}; expected Residual{(cfg.AttnOnly ? " or Attention (this model has no MLPs)" : ", Mlp or Attention")}.");

        var names = run.Options.States.SelectMany(s => Enumerable.Range(0, cfg.NLayers).Select(l => s.HookName(l))).Distinct().ToList();
        var (clean, corrupted, cleanCache, corruptedCache) = Baselines(model, run, names, run.Options.DirectEffect);
        int passes = 2;
        var grids = new List<CausalTraceGrid>();
        foreach (var state in run.Options.States)
        {
            int window = state == TraceState.Residual ? 1 : run.Options.Window;
            var variants = new List<Restoration[]>();
            for (int l = 0; l < cfg.NLayers; l++)
                foreach (int p in positions)
                    variants.Add(WindowLayers(l, window, cfg.NLayers).Select(w => Restoration.Of(state, w, p)).ToArray());
            var restored = Patched(model, run, cleanCache, noisy: true, variants, ref passes);
            var direct = run.Options.DirectEffect ? Patched(model, run, corruptedCache!, noisy: false, variants, ref passes) : null;
            grids.Add(new CausalTraceGrid(state, window, positions, Rows(restored, positions.Length), direct is null ? null : Rows(direct, positions.Length), corrupted));
        }
        return new CausalTrace(run.Ids[0].cpu().data<long>().ToArray(), subjectStart, subjectEnd, target, clean, corrupted, run.Sigma,
            run.Options.Samples, run.Options.Seed, grids, passes);
    }

    /// <summary>
    /// P*(o | the states in <paramref name="restorations"/> restored to their clean values): the corrupted run with every
    /// listed (hook, position) restored at once, averaged over the noise samples. No restoration gives P*(o); restoring
    /// <c>hook_embed</c> at the subject's positions (or any complete cut of the clean computation) gives P(o).
    /// </summary>
    /// <returns>(clean P(o), corrupted P*(o), restored).</returns>
    /// <exception cref="ArgumentException">A hook this model does not have, or one whose activation has no position axis.</exception>
    public static (double Clean, double Corrupted, double Restored) Restore(HookedTransformer model, Tensor tokens, int subjectStart, int subjectEnd, long target,
        IReadOnlyList<Restoration> restorations, CausalTraceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(restorations);
        var run = Prepare(model, tokens, subjectStart, subjectEnd, target, options);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var r in restorations)
        {
            ArgumentNullException.ThrowIfNull(r, nameof(restorations));
            model.GetHookPoint(r.HookName);   // throws with the closest names
            if (r.Position < 0 || r.Position >= run.Ids.shape[1])
                throw new ArgumentOutOfRangeException(nameof(restorations), r.Position, $"restoration {r} has position {r.Position}; expected [0, {run.Ids.shape[1]}).");
        }
        var names = restorations.Select(r => r.HookName).Distinct().ToList();
        var (clean, corrupted, cleanCache, _) = Baselines(model, run, names, direct: false);
        int passes = 0;
        double restored = Patched(model, run, cleanCache, noisy: true, [restorations.ToArray()], ref passes)[0];
        return (clean, corrupted, restored);
    }

    /// <summary>
    /// The standard deviation of the token embeddings W_E[t] over <paramref name="sample"/> (all tokens when null), over
    /// every element — ROME's <c>collect_embedding_std</c>, which takes it over the subjects' embeddings.
    /// </summary>
    public static double EmbeddingStd(HookedTransformer model, IReadOnlyList<long>? sample = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var W_E = model.W_E;   // [d_vocab, d_model]
        if (sample is not null)
        {
            if (sample.Count == 0)
                throw new ArgumentException("sample is empty; expected token ids whose embeddings give the standard deviation (or null for all).", nameof(sample));
            foreach (long t in sample)
                if (t < 0 || t >= model.Cfg.DVocab)
                    throw new ArgumentOutOfRangeException(nameof(sample), t, $"sample holds token {t}; expected ids in [0, {model.Cfg.DVocab}).");
            W_E = W_E.index_select(0, tensor(sample.ToArray(), dtype: int64, device: W_E.device));
        }
        return W_E.to(float64).std().cpu().item<double>();
    }

    /// <summary>The layers a window of <paramref name="window"/> centred on <paramref name="layer"/> restores (ROME's rule).</summary>
    public static IEnumerable<int> WindowLayers(int layer, int window, int layers)
    {
        int low = Math.Max(0, layer - window / 2), high = Math.Min(layers, layer + (window + 1) / 2);
        return Enumerable.Range(low, high - low);
    }

    private sealed record Run(Tensor Ids, int Start, int End, long Target, Tensor Noise, double Sigma, CausalTraceOptions Options);

    private static Run Prepare(HookedTransformer model, Tensor tokens, int subjectStart, int subjectEnd, long target, CausalTraceOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        options ??= CausalTraceOptions.Default;
        var cfg = model.Cfg;
        var ids = InputValidation.Tokens(tokens, cfg, nameof(tokens));
        if (ids.shape[0] != 1)
            throw new ArgumentException($"tokens holds {ids.shape[0]} sequences; causal tracing takes one prompt, [pos] or [1, pos] (its batch rows are the noise samples).", nameof(tokens));
        long pos = ids.shape[1];
        if (subjectStart < 0 || subjectStart >= pos)
            throw new ArgumentOutOfRangeException(nameof(subjectStart), subjectStart, $"subjectStart is {subjectStart}; expected a position in [0, {pos}).");
        if (subjectEnd <= subjectStart || subjectEnd > pos)
            throw new ArgumentOutOfRangeException(nameof(subjectEnd), subjectEnd, $"subjectEnd is {subjectEnd}; expected ({subjectStart}, {pos}]: the subject is positions [subjectStart, subjectEnd).");
        if (target < 0 || target >= cfg.DVocab)
            throw new ArgumentOutOfRangeException(nameof(target), target, $"target is {target}; expected a token id in [0, {cfg.DVocab}).");
        if (options.Samples < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Samples, $"options.Samples is {options.Samples}; expected at least 1.");
        if (options.Window < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Window, $"options.Window is {options.Window}; expected at least 1 layer.");
        if (options.NoiseStd is { } s && !(s >= 0 && double.IsFinite(s)))
            throw new ArgumentOutOfRangeException(nameof(options), s, $"options.NoiseStd is {s}; expected a finite σ ≥ 0.");
        if (!(options.NoiseMultiplier >= 0 && double.IsFinite(options.NoiseMultiplier)))
            throw new ArgumentOutOfRangeException(nameof(options), options.NoiseMultiplier, $"options.NoiseMultiplier is {options.NoiseMultiplier}; expected a finite value ≥ 0.");
        if (options.MaxRestorationsPerPass is < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxRestorationsPerPass, $"options.MaxRestorationsPerPass is {options.MaxRestorationsPerPass}; expected at least 1 (or null).");
        if (options.MemoryBudgetBytes < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.MemoryBudgetBytes, $"options.MemoryBudgetBytes is {options.MemoryBudgetBytes}; expected a positive number of bytes.");
        if (options.States is null || options.States.Count == 0)
            throw new ArgumentException("options.States is empty; expected at least one of Residual, Mlp, Attention.", nameof(options));

        double sigma = options.NoiseStd ?? options.NoiseMultiplier * EmbeddingStd(model, options.EmbeddingSample);
        // The noise comes from a CPU generator, so a seed gives the same noise on every device.
        var generator = new Generator((ulong)options.Seed, device: CPU);
        var noise = randn([options.Samples, subjectEnd - subjectStart, cfg.DModel], dtype: float32, device: CPU, generator: generator)
            .mul_(sigma).to(model.Device).to(cfg.Dtype);   // [samples, subject, d_model]
        return new Run(ids.to(model.Device), subjectStart, subjectEnd, target, noise, sigma, options);
    }

    /// <summary>Clean and corrupted probabilities, with the clean run's activations [1, pos, …] and (for direct effects)
    /// the corrupted run's [samples, pos, …] at <paramref name="names"/>.</summary>
    private static (double Clean, double Corrupted, Dictionary<string, Tensor> CleanCache, Dictionary<string, Tensor>? CorruptedCache) Baselines(
        HookedTransformer model, Run run, IReadOnlyList<string> names, bool direct)
    {
        var cleanActs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var (cleanLogits, cleanCache) = model.RunWithCache(run.Ids, names);
        using (cleanCache)
            foreach (var n in names) cleanActs[n] = cleanCache[n].clone();
        double clean = TargetProbability(cleanLogits, run.Target).mean().cpu().item<float>();

        int samples = run.Options.Samples;
        var noisy = run.Ids.repeat(samples, 1);
        Dictionary<string, Tensor>? corruptedActs = null;
        Tensor corruptedLogits;
        using (model.Hooks([NoiseHook(run, 1)]))
        {
            if (direct)
            {
                var (logits, cache) = model.RunWithCache(noisy, names);
                corruptedLogits = logits;
                corruptedActs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
                using (cache)
                    foreach (var n in names) corruptedActs[n] = cache[n].clone();
            }
            else
                corruptedLogits = model.Forward(noisy);
        }
        double corrupted = TargetProbability(corruptedLogits, run.Target).mean().cpu().item<float>();
        return (clean, corrupted, cleanActs, corruptedActs);
    }

    /// <summary>Adds sample s's noise to the subject's token embeddings of batch rows v·samples + s.</summary>
    private static Hook NoiseHook(Run run, int variants) => new("hook_embed", (embedding, _) =>
    {
        var noisy = embedding.clone();   // [variants · samples, pos, d_model]
        var noise = variants == 1 ? run.Noise : run.Noise.repeat(variants, 1, 1);
        noisy[.., run.Start..run.End] += noise;
        return noisy;
    });

    /// <summary>
    /// For each variant (a set of (hook, position) replacements), the mean over noise samples of P(o) with the listed
    /// states replaced by <paramref name="source"/>'s values: the clean activations [1, pos, …] in the noisy run
    /// (restoration), or the corrupted ones [samples, pos, …] in the clean run (direct effects).
    /// </summary>
    private static double[] Patched(HookedTransformer model, Run run, Dictionary<string, Tensor> source, bool noisy, IReadOnlyList<Restoration[]> variants, ref int passes)
    {
        int samples = run.Options.Samples;
        long pos = run.Ids.shape[1];
        long perSequence = ActivationPatching.EstimatedBytesPerSequence(model.Cfg, pos) * samples;
        int perPass = (int)Math.Clamp(run.Options.MemoryBudgetBytes / Math.Max(1, perSequence), 1, run.Options.MaxRestorationsPerPass ?? int.MaxValue);
        var values = new double[variants.Count];
        int done = 0;
        foreach (var chunk in variants.Chunk(perPass))
        {
            using var step = NewDisposeScope();
            int v = chunk.Length;
            var hooks = new List<Hook>();
            if (noisy)
                hooks.Add(NoiseHook(run, v));
            foreach (var name in chunk.SelectMany(r => r.Select(x => x.HookName)).Distinct())
            {
                var flags = new bool[v * pos];
                for (int i = 0; i < v; i++)
                    foreach (var r in chunk[i].Where(r => r.HookName == name))
                        flags[i * pos + r.Position] = true;
                var value = source[name];   // [1 or samples, pos, …]
                var mask = tensor(flags, [v, 1, pos], device: model.Device);
                hooks.Add(new Hook(name, (act, _) =>
                {
                    var shape = act.shape;   // [v · samples, pos, …]
                    var grouped = act.reshape([v, samples, .. shape[1..]]);
                    var m = mask.reshape([v, 1, pos, .. Enumerable.Repeat(1L, shape.Length - 2)]);
                    return where(m, value.unsqueeze(0).to(act.dtype), grouped).reshape(shape);
                }));
            }
            var logits = model.RunWithHooks(run.Ids.repeat(v * samples, 1), hooks);
            passes++;
            var p = TargetProbability(logits, run.Target).reshape(v, samples).mean([1L]).to(float64).cpu().data<double>().ToArray();
            Array.Copy(p, 0, values, done, v);
            done += v;
        }
        return values;
    }

    /// <summary>softmax(logits[:, −1])[target] in float32, [batch].</summary>
    private static Tensor TargetProbability(Tensor logits, long target) => logits[.., -1].to(float32).softmax(-1)[.., target];

    private static double[][] Rows(double[] flat, int columns) =>
        Enumerable.Range(0, flat.Length / columns).Select(r => flat.AsSpan(r * columns, columns).ToArray()).ToArray();
}
