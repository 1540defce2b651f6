using Arrakis.Hooks;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Surgery;

/// <summary>
/// Scoped model edits (Arrakis <c>ModelSurgery</c>: <c>delete_layers</c>, <c>permute_layers</c>, <c>replace_layers</c>, as
/// context managers): each returns a <see cref="SurgeryScope"/>; while it lives the model runs edited, and disposing it
/// restores the model byte-identical — also when the code inside a <c>using</c> block throws. Hook edits (head ablation,
/// skipped layers, scaled outputs) attach hooks and remove them; weight edits (permuted or replaced layers) copy the
/// parameters they overwrite first and copy them back. A scope that fails while being applied is undone before the
/// exception leaves.
/// </summary>
/// <example><code>
/// using (ModelSurgery.DeleteLayers(model, [1]))
///     Console.WriteLine(model.Loss(tokens).item&lt;float&gt;());   // block 1 skipped
/// // here the model is byte-identical to before
/// </code></example>
public static class ModelSurgery
{
    /// <summary>
    /// Ablates heads: their output z_h (<c>blocks.{l}.attn.hook_z</c> [batch, pos, head, d_head]) is replaced at every
    /// position by zero, by its mean over <paramref name="reference"/>'s batch and positions, or by its value on
    /// <paramref name="reference"/> (resample: input row b takes reference row b mod reference batch, positions [0, pos)).
    /// </summary>
    /// <exception cref="ArgumentException">No heads, a head named twice, or Mean/Resample without a reference.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range.</exception>
    public static SurgeryScope AblateHeads(HookedTransformer model, IReadOnlyList<HeadIndex> heads, AblationKind kind = AblationKind.Zero, Tensor? reference = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(heads);
        if (heads.Count == 0)
            throw new ArgumentException("heads is empty; expected at least one head to ablate.", nameof(heads));
        foreach (var head in heads)
            head.Validate(model.Cfg, nameof(heads));
        if (heads.Distinct().Count() != heads.Count)
            throw new ArgumentException($"heads [{string.Join(", ", heads)}] names a head twice; expected distinct heads.", nameof(heads));
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, $"kind is {kind}; expected Zero, Mean or Resample.");
        if (kind != AblationKind.Zero && reference is null)
            throw new ArgumentException($"kind is {kind}, which takes z from a reference input; expected reference token ids [batch, pos].", nameof(reference));

        var layers = heads.Select(h => h.Layer).Distinct().ToList();
        var source = new Dictionary<int, Tensor>();   // layer → z of the reference: mean [head, d_head] or values [batch, pos, head, d_head]
        if (kind != AblationKind.Zero)
        {
            var ids = InputValidation.Tokens(reference!, model.Cfg, nameof(reference)).to(model.Device);
            using var noGrad = no_grad();
            var (_, cache) = model.RunWithCache(ids, layers.Select(l => $"blocks.{l}.attn.hook_z"));
            using (cache)
                foreach (int l in layers)
                {
                    var z = cache[$"blocks.{l}.attn.hook_z"];
                    source[l] = (kind == AblationKind.Mean ? z.mean([0L, 1L]) : z.clone()).DetachFromDisposeScope();
                }
        }
        var scope = new SurgeryScope(model, $"{kind.ToString().ToLowerInvariant()}-ablate heads [{string.Join(", ", heads)}]");
        return Apply(scope, () =>
        {
            foreach (int layer in layers)
            {
                var indices = heads.Where(h => h.Layer == layer).Select(h => (long)h.Head).ToArray();
                var headIndex = tensor(indices, dtype: int64, device: model.Device);
                source.TryGetValue(layer, out var value);
                scope.Add(model.Hooks([new Hook($"blocks.{layer}.attn.hook_z", (z, _) =>
                {
                    var replacement = kind switch
                    {
                        AblationKind.Zero => zeros_like(z.index_select(2, headIndex)),
                        AblationKind.Mean => value!.index_select(0, headIndex).to(z.dtype).expand(z.shape[0], z.shape[1], indices.Length, z.shape[3]),
                        _ => Resampled(value!, z, headIndex),
                    };
                    return z.index_copy(2, headIndex, replacement);
                })]));
                scope.Add(new Disposer(() => value?.Dispose()));
            }
        });
    }

    /// <summary>
    /// Skips blocks (Arrakis <c>delete_layers</c>): block l's output <c>hook_resid_post</c> is replaced by its input
    /// <c>hook_resid_pre</c>, so the block adds nothing and later blocks read what it received.
    /// </summary>
    /// <exception cref="ArgumentException">No layers, or a layer named twice.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A layer out of range.</exception>
    public static SurgeryScope DeleteLayers(HookedTransformer model, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(model);
        CheckLayers(model, indices, nameof(indices));
        var scope = new SurgeryScope(model, $"delete indices [{string.Join(", ", indices)}]");
        return Apply(scope, () =>
        {
            foreach (int layer in indices)
            {
                Tensor? input = null;
                scope.Add(model.Hooks([
                    new Hook($"blocks.{layer}.hook_resid_pre", (x, _) => { input = x; return null; }),
                    new Hook($"blocks.{layer}.hook_resid_post", (_, _) => input ?? throw new InvalidOperationException($"block {layer}'s input was not seen before its output.")),
                ]));
            }
        });
    }

    /// <summary>
    /// Runs the blocks in another order (Arrakis <c>permute_layers</c>): position i of the stack runs the weights of block
    /// <paramref name="indices"/>[i]. Weights are copied between blocks (hook names keep their positions) and copied back
    /// on dispose. Every block must have the same parameter shapes.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="indices"/> is not a permutation of [0, n_layers).</exception>
    public static SurgeryScope PermuteLayers(HookedTransformer model, IReadOnlyList<int> indices)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(indices);
        int n = model.Cfg.NLayers;
        if (indices.Count != n || !indices.Order().SequenceEqual(Enumerable.Range(0, n)))
            throw new ArgumentException($"indices [{string.Join(", ", indices)}] is not a permutation of [0, {n}); expected each layer exactly once.", nameof(indices));
        var scope = new SurgeryScope(model, $"permute layers [{string.Join(", ", indices)}]");
        return Apply(scope, () =>
        {
            var originals = Enumerable.Range(0, n).Select(l => BlockParameters(model, l).ToDictionary(p => p.Name, p => p.Parameter)).ToList();
            for (int i = 0; i < n; i++)
                if (indices[i] != i)
                    CopyBlock(scope, from: originals[indices[i]], into: originals[i], $"block {indices[i]}", $"block {i}", saveSources: originals);
        });
    }

    /// <summary>
    /// Replaces blocks' weights with another model's (Arrakis <c>replace_layers</c>): block <paramref name="indices"/>[i]
    /// takes the parameters of <paramref name="donor"/>'s block <paramref name="donorIndices"/>[i] (the same index when
    /// null). Shapes must match.
    /// </summary>
    /// <exception cref="ArgumentException">Layers repeated, lists of different lengths, or a parameter of another shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A layer out of range.</exception>
    public static SurgeryScope ReplaceLayers(HookedTransformer model, IReadOnlyList<int> indices, HookedTransformer donor, IReadOnlyList<int>? donorIndices = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(donor);
        CheckLayers(model, indices, nameof(indices));
        donorIndices ??= indices;
        if (donorIndices.Count != indices.Count)
            throw new ArgumentException($"donorIndices has {donorIndices.Count} entries; expected one per layer ({indices.Count}).", nameof(donorIndices));
        foreach (int l in donorIndices)
            if (l < 0 || l >= donor.Cfg.NLayers)
                throw new ArgumentOutOfRangeException(nameof(donorIndices), l, $"donorIndices holds {l}; expected [0, {donor.Cfg.NLayers}) (the donor's indices).");
        var scope = new SurgeryScope(model, $"replace indices [{string.Join(", ", indices)}] with {donor.Cfg.ModelName}'s [{string.Join(", ", donorIndices)}]");
        var targets = indices.Select(l => BlockParameters(model, l).ToDictionary(p => p.Name, p => p.Parameter)).ToList();
        var sources = donorIndices.Select(l => BlockParameters(donor, l).ToDictionary(p => p.Name, p => p.Parameter)).ToList();
        for (int i = 0; i < indices.Count; i++)
            foreach (var (name, parameter) in targets[i])
            {
                if (!sources[i].TryGetValue(name, out var source))
                    throw new ArgumentException($"the donor's block {donorIndices[i]} has no parameter '{name}'; expected the same architecture.", nameof(donor));
                if (!source.shape.SequenceEqual(parameter.shape))
                    throw new ArgumentException($"the donor's blocks.{donorIndices[i]}.{name} has shape [{string.Join(", ", source.shape)}]; expected [{string.Join(", ", parameter.shape)}] as in blocks.{indices[i]}.{name}.", nameof(donor));
            }
        return Apply(scope, () =>
        {
            for (int i = 0; i < indices.Count; i++)
                CopyBlock(scope, from: sources[i], into: targets[i], $"the donor's block {donorIndices[i]}", $"block {indices[i]}", saveSources: null);
        });
    }

    /// <summary>Scales the activation at a hook point by <paramref name="factor"/>, e.g. <c>blocks.1.hook_mlp_out</c> or <c>blocks.0.hook_attn_out</c>.</summary>
    /// <exception cref="ArgumentException">No such hook point (the message lists the closest names).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A factor that is not finite.</exception>
    public static SurgeryScope ScaleOutput(HookedTransformer model, string hookName, double factor)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(hookName);
        if (!double.IsFinite(factor))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"factor is {factor}; expected a finite number.");
        model.GetHookPoint(hookName);
        var scope = new SurgeryScope(model, FormattableString.Invariant($"scale {hookName} by {factor}"));
        return Apply(scope, () => scope.Add(model.Hooks([new Hook(hookName, (x, _) => x * factor)])));
    }

    /// <summary>Scales one head's output z_h (<c>blocks.{l}.attn.hook_z</c>[…, h, :]) by <paramref name="factor"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A head out of range or a factor that is not finite.</exception>
    public static SurgeryScope ScaleHeadOutput(HookedTransformer model, HeadIndex head, double factor)
    {
        ArgumentNullException.ThrowIfNull(model);
        head.Validate(model.Cfg, nameof(head));
        if (!double.IsFinite(factor))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"factor is {factor}; expected a finite number.");
        var scope = new SurgeryScope(model, FormattableString.Invariant($"scale {head} by {factor}"));
        return Apply(scope, () =>
        {
            var index = tensor(new long[] { head.Head }, dtype: int64, device: model.Device);
            scope.Add(model.Hooks([new Hook($"blocks.{head.Layer}.attn.hook_z", (z, _) => z.index_copy(2, index, z.index_select(2, index) * factor))]));
        });
    }

    /// <summary>
    /// The metric on the unedited model, then with <paramref name="edit"/> in force, then the proof that the edit was
    /// undone: every parameter is hashed before and after (<see cref="ParameterHashes"/>); the scope is disposed also when
    /// the metric throws.
    /// </summary>
    /// <exception cref="InvalidOperationException">A parameter differs after the edit was disposed (an edit that does not restore).</exception>
    public static SurgeryResult Measure(HookedTransformer model, Func<HookedTransformer, IDisposable> edit, Func<HookedTransformer, double> metric, string? description = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentNullException.ThrowIfNull(metric);
        var before = ParameterHashes.Of(model);
        double clean = metric(model), edited;
        string name;
        using (var scope = edit(model))
        {
            name = description ?? scope.ToString() ?? "edit";
            edited = metric(model);
        }
        var after = ParameterHashes.Of(model);
        var changed = ParameterHashes.Differences(before, after);
        if (changed.Count > 0)
            throw new InvalidOperationException($"The edit '{name}' did not restore the model: {string.Join(", ", changed)} changed.");
        return new SurgeryResult(name, clean, edited, after.Count);
    }

    private static SurgeryScope Apply(SurgeryScope scope, Action apply)
    {
        try
        {
            apply();
            return scope;
        }
        catch
        {
            scope.Dispose();
            throw;
        }
    }

    private static void CheckLayers(HookedTransformer model, IReadOnlyList<int> layers, string argument)
    {
        ArgumentNullException.ThrowIfNull(layers, argument);
        if (layers.Count == 0)
            throw new ArgumentException($"{argument} is empty; expected at least one layer.", argument);
        foreach (int l in layers)
            if (l < 0 || l >= model.Cfg.NLayers)
                throw new ArgumentOutOfRangeException(argument, l, $"{argument} holds {l}; expected layers in [0, {model.Cfg.NLayers}).");
        if (layers.Distinct().Count() != layers.Count)
            throw new ArgumentException($"{argument} [{string.Join(", ", layers)}] names a layer twice; expected distinct layers.", argument);
    }

    private static IEnumerable<(string Name, Parameter Parameter)> BlockParameters(HookedTransformer model, int layer) =>
        model.blocks[layer].named_parameters().Select(p => (p.name, p.parameter));

    /// <summary>Copies every parameter of <paramref name="from"/> into <paramref name="into"/>'s, saving the overwritten
    /// ones first. When blocks of the same model are permuted, the sources are read from copies taken before any write.</summary>
    private static void CopyBlock(SurgeryScope scope, Dictionary<string, Parameter> from, Dictionary<string, Parameter> into, string fromLabel, string intoLabel,
        List<Dictionary<string, Parameter>>? saveSources)
    {
        using var noGrad = no_grad();
        foreach (var (name, target) in into)
        {
            if (!from.TryGetValue(name, out var source) || !source.shape.SequenceEqual(target.shape))
                throw new ArgumentException($"{fromLabel} and {intoLabel} differ in parameter '{name}'; expected blocks of the same shapes.");
            if (saveSources is not null)
                foreach (var block in saveSources)
                    scope.Save(block[name]);   // every block's copy exists before the first write
            scope.Save(target);
            target.copy_(scope.SavedCopy(source) ?? source);
        }
    }

    private static Tensor Resampled(Tensor reference, Tensor z, Tensor headIndex)
    {
        long batch = z.shape[0], pos = z.shape[1];
        if (reference.shape[1] < pos)
            throw new ArgumentException($"the reference input has {reference.shape[1]} positions; resampling needs at least the {pos} of the input.", "reference");
        var rows = arange(batch, dtype: int64, device: z.device).remainder(reference.shape[0]);
        return reference.index_select(0, rows)[.., ..(int)pos].index_select(2, headIndex).to(z.dtype);
    }

    private sealed class Disposer(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
