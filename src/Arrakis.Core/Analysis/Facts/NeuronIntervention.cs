using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Facts;

/// <summary>The logits of chosen tokens before and after a neuron intervention, averaged over the batch.</summary>
/// <param name="Layer">The MLP's block.</param>
/// <param name="Neurons">The edited neurons.</param>
/// <param name="Edit">Scale or Set.</param>
/// <param name="Value">The scale factor or the value set.</param>
/// <param name="Position">The position whose logits are read.</param>
/// <param name="Targets">The tokens whose logits are read.</param>
/// <param name="Before">Logit of each target in the unedited run (mean over the batch).</param>
/// <param name="After">Logit of each target with the neurons edited.</param>
public sealed record NeuronInterventionEffect(int Layer, IReadOnlyList<int> Neurons, NeuronEdit Edit, double Value, int Position,
    IReadOnlyList<long> Targets, IReadOnlyList<double> Before, IReadOnlyList<double> After)
{
    /// <summary>After − Before per target.</summary>
    public IReadOnlyList<double> Change => Before.Zip(After, (b, a) => a - b).ToList();
}

/// <summary>
/// Neuron intervention: set or scale MLP neurons' activations (<c>blocks.{l}.mlp.hook_post</c> [batch, pos, d_mlp]) and
/// read the effect on chosen tokens' logits; everything downstream is recomputed (Arrakis <c>intervene_on_neuron(input_ids,
/// layer_idx, neuron_idx, scale=0)</c>, which hooked the MLP module's output, not its neurons).
/// </summary>
public static class NeuronIntervention
{
    /// <summary>Runs <paramref name="tokens"/> with and without the edit.</summary>
    /// <param name="model">The model; hooks are removed afterwards.</param>
    /// <param name="tokens">[batch, pos] or [pos].</param>
    /// <param name="layer">Block of the MLP, in [0, n_layers).</param>
    /// <param name="neurons">Neuron indices in [0, d_mlp), at least one, distinct.</param>
    /// <param name="edit">Scale (a ← value·a) or Set (a ← value).</param>
    /// <param name="value">The factor or the value.</param>
    /// <param name="targets">Token ids whose logits are read.</param>
    /// <param name="editPositions">Positions where neurons are edited; <c>null</c>: all.</param>
    /// <param name="readPosition">Position whose logits are read (negative from the end; default the last).</param>
    /// <exception cref="ArgumentOutOfRangeException">Layer, neuron, token or position out of range.</exception>
    /// <exception cref="ArgumentException">No neurons, no targets, a neuron named twice, or a model without MLPs.</exception>
    public static NeuronInterventionEffect Run(HookedTransformer model, Tensor tokens, int layer, IReadOnlyList<int> neurons, NeuronEdit edit, double value,
        IReadOnlyList<long> targets, IReadOnlyList<int>? editPositions = null, int readPosition = -1)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(neurons);
        ArgumentNullException.ThrowIfNull(targets);
        var cfg = model.Cfg;
        if (cfg.AttnOnly)
            throw new ArgumentException("This model is attention-only; neuron interventions edit MLP neurons.", nameof(model));
        if (layer < 0 || layer >= cfg.NLayers)
            throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer is {layer}; expected [0, {cfg.NLayers}).");
        if (neurons.Count == 0)
            throw new ArgumentException("neurons is empty; expected at least one neuron index.", nameof(neurons));
        foreach (int n in neurons)
            if (n < 0 || n >= cfg.DMlp)
                throw new ArgumentOutOfRangeException(nameof(neurons), n, $"neurons holds {n}; expected indices in [0, {cfg.DMlp}) (d_mlp).");
        if (neurons.Distinct().Count() != neurons.Count)
            throw new ArgumentException($"neurons [{string.Join(", ", neurons)}] names a neuron twice; expected distinct indices.", nameof(neurons));
        if (targets.Count == 0)
            throw new ArgumentException("targets is empty; expected at least one token id whose logit to read.", nameof(targets));
        foreach (long t in targets)
            if (t < 0 || t >= cfg.DVocab)
                throw new ArgumentOutOfRangeException(nameof(targets), t, $"targets holds {t}; expected ids in [0, {cfg.DVocab}).");
        if (!Enum.IsDefined(edit))
            throw new ArgumentOutOfRangeException(nameof(edit), edit, $"edit is {edit}; expected Scale or Set.");
        if (!double.IsFinite(value))
            throw new ArgumentOutOfRangeException(nameof(value), value, $"value is {value}; expected a finite number.");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = InputValidation.Tokens(tokens, cfg, nameof(tokens)).to(model.Device);
        long pos = ids.shape[1];
        int read = (int)(readPosition < 0 ? readPosition + pos : readPosition);
        if (read < 0 || read >= pos)
            throw new ArgumentOutOfRangeException(nameof(readPosition), readPosition, $"readPosition is {readPosition}; expected [{-pos}, {pos}).");
        foreach (int p in editPositions ?? [])
            if (p < 0 || p >= pos)
                throw new ArgumentOutOfRangeException(nameof(editPositions), p, $"editPositions holds {p}; expected [0, {pos}).");

        var neuronIndex = tensor(neurons.Select(n => (long)n).ToArray(), dtype: int64, device: model.Device);
        var positionIndex = editPositions is null ? null : tensor(editPositions.Select(p => (long)p).ToArray(), dtype: int64, device: model.Device);
        var hook = new Hook($"blocks.{layer}.mlp.hook_post", (post, _) =>
        {
            var edited = post.clone();   // [batch, pos, d_mlp]
            var rows = positionIndex is null ? edited : edited.index_select(1, positionIndex);
            var chosen = rows.index_select(2, neuronIndex);
            var replaced = edit == NeuronEdit.Scale ? chosen * value : full_like(chosen, value);
            if (positionIndex is null)
                edited.index_copy_(2, neuronIndex, replaced);
            else
                edited.index_copy_(1, positionIndex, rows.index_copy(2, neuronIndex, replaced));
            return edited;
        });
        var targetIndex = tensor(targets.ToArray(), dtype: int64, device: model.Device);
        double[] Read(Tensor logits) => logits[.., read].to(float64).index_select(-1, targetIndex).mean([0L]).cpu().data<double>().ToArray();
        var before = Read(model.Forward(ids));
        var after = Read(model.RunWithHooks(ids, [hook]));
        return new NeuronInterventionEffect(layer, neurons.ToList(), edit, value, read, targets.ToList(), before, after);
    }
}
