using System.Globalization;
using Arrakis.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// The tuned lens (Belrose et al. 2023, "Eliciting Latent Predictions from Transformers with the Tuned Lens"): one affine
/// translator per layer, T_l(x) = x + x·W_l + b_l (W_l [d_model, d_model], b_l [d_model], both zero at the start, so an
/// untrained lens is the logit lens), applied to the stream x_l = resid_pre[l] before the logit lens's read-out
/// LN_final(·)·W_U + b_U (<see cref="LogitLens.FinalNorm"/>, fresh statistics). Trained on a token dataset to minimise
/// Σ_l mean over positions of KL(p_final ‖ p_l), with the model frozen. The final stream needs no translator (identity).
/// Owns its tensors: dispose it.
/// </summary>
public sealed class TunedLens : IDisposable
{
    private readonly Tensor[] _weights;   // per layer [d_model, d_model]
    private readonly Tensor[] _biases;    // per layer [d_model]

    private TunedLens(Tensor[] weights, Tensor[] biases)
    {
        _weights = weights;
        _biases = biases;
    }

    /// <summary>How many translators: one per block input resid_pre[0 … n_layers − 1].</summary>
    public int NLayers => _weights.Length;

    /// <summary>W_l [d_model, d_model] of translator <paramref name="layer"/> (the learned part; the translator adds x).</summary>
    public Tensor Weight(int layer) => _weights[CheckLayer(layer)];

    /// <summary>b_l [d_model] of translator <paramref name="layer"/>.</summary>
    public Tensor Bias(int layer) => _biases[CheckLayer(layer)];

    /// <summary>The untrained lens (every translator the identity): it reads exactly as the logit lens.</summary>
    public static TunedLens Identity(HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Cfg;
        var weights = Enumerable.Range(0, cfg.NLayers).Select(_ => zeros(cfg.DModel, cfg.DModel, dtype: float32, device: model.Device)).ToArray();
        var biases = Enumerable.Range(0, cfg.NLayers).Select(_ => zeros(cfg.DModel, dtype: float32, device: model.Device)).ToArray();
        return new TunedLens(weights, biases);
    }

    /// <summary>
    /// Trains the translators on <paramref name="tokens"/> [sequences, pos]: the streams and the final distributions are
    /// computed once (model frozen), then Adam minimises Σ_l mean KL(p_final ‖ p_l) over random minibatches of sequences.
    /// </summary>
    /// <param name="model">The model the lens reads.</param>
    /// <param name="tokens">Training sequences [sequences, pos] (held-out data for evaluation should be separate).</param>
    /// <param name="options">Steps, batch size, learning rate, seed.</param>
    /// <param name="progress">Receives one report per step (a progress bar).</param>
    /// <exception cref="ArgumentException">Tokens not [sequences, pos].</exception>
    /// <exception cref="ArgumentOutOfRangeException">Non-positive steps, batch size or learning rate.</exception>
    public static TunedLens Train(HookedTransformer model, Tensor tokens, TunedLensOptions? options = null, IProgress<TunedLensProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        options ??= new TunedLensOptions();
        options.Validate();
        if (tokens.dim() != 2 || tokens.numel() == 0)
            throw new ArgumentException($"tokens has shape [{string.Join(", ", tokens.shape)}]; expected training sequences [sequences, pos].", nameof(tokens));
        var cfg = model.Cfg;
        long sequences = tokens.shape[0];
        var lens = Identity(model);
        try
        {
            using var scope = NewDisposeScope();
            var (streams, finalLogProbs) = Activations(model, tokens.to(model.Device));   // [layers][sequences, pos, d_model], [sequences, pos, d_vocab]
            var parameters = lens._weights.Concat(lens._biases).Select(t => new TorchSharp.Modules.Parameter(t, requires_grad: true)).ToArray();
            var weights = parameters[..cfg.NLayers];
            var biases = parameters[cfg.NLayers..];
            using var optimizer = optim.Adam(parameters, options.LearningRate);
            var generator = new Generator((ulong)options.Seed, device: CPU);
            int batch = (int)Math.Min(options.BatchSize, sequences);
            for (int step = 1; step <= options.Steps; step++)
            {
                using var stepScope = NewDisposeScope();
                var rows = randperm(sequences, generator: generator, device: CPU)[..batch].to(model.Device);
                var target = finalLogProbs.index_select(0, rows);
                Tensor loss = zeros(1, dtype: float32, device: model.Device);
                for (int l = 0; l < cfg.NLayers; l++)
                {
                    var x = streams[l].index_select(0, rows);
                    var translated = x + x.matmul(weights[l]) + biases[l];
                    var lensLogProbs = LogitLens.Unembed(model, translated).log_softmax(-1);
                    loss = loss + LogitLens.KlFromFinal(target, lensLogProbs).mean();
                }
                optimizer.zero_grad();
                loss.backward();
                optimizer.step();
                progress?.Report(new TunedLensProgress(step, options.Steps, loss.item<float>()));
            }
            using (no_grad())
                for (int l = 0; l < cfg.NLayers; l++)
                {
                    lens._weights[l].Dispose();
                    lens._biases[l].Dispose();
                    lens._weights[l] = weights[l].detach().clone().DetachFromDisposeScope();
                    lens._biases[l] = biases[l].detach().clone().DetachFromDisposeScope();
                }
            return lens;
        }
        catch
        {
            lens.Dispose();
            throw;
        }
    }

    /// <summary>T_l(x) = x + x·W_l + b_l for x [..., d_model] from resid_pre[<paramref name="layer"/>].</summary>
    public Tensor Translate(int layer, Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        CheckLayer(layer);
        return x + x.matmul(_weights[layer]) + _biases[layer];
    }

    /// <summary>
    /// Log-probabilities of the tuned lens at every layer of one sequence: labels and layout as
    /// <see cref="LogitLens.LogProbs"/> ([n_layers + 1, pos, d_vocab]); the last row, <c>final_post</c>, is the model's output.
    /// </summary>
    public LabeledStack LogProbs(ActivationCache cache, int batchIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (cache.Model.Cfg.NLayers != NLayers)
            throw new ArgumentException($"cache is of a model with {cache.Model.Cfg.NLayers} layers; this lens has {NLayers} translators.", nameof(cache));
        using var scope = NewDisposeScope();
        using var resid = cache.AccumulatedResid();                       // [layers + 1, batch, pos, d_model]
        var x = resid.Stack[.., batchIndex];
        var translated = stack(Enumerable.Range(0, NLayers).Select(l => Translate(l, x[l])).Append(x[NLayers]).ToArray());
        var logProbs = LogitLens.Unembed(cache.Model, translated).log_softmax(-1);
        return new LabeledStack(logProbs.MoveToOuterDisposeScope(), resid.Labels);
    }

    /// <summary>Saves the translators as safetensors: <c>layers.{l}.weight</c> [d_model, d_model], <c>layers.{l}.bias</c> [d_model].</summary>
    public void Save(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var tensors = Enumerable.Range(0, NLayers).SelectMany(l => new[]
        {
            new KeyValuePair<string, Tensor>($"layers.{l}.weight", _weights[l]),
            new KeyValuePair<string, Tensor>($"layers.{l}.bias", _biases[l]),
        });
        SafetensorsWriter.Save(path, tensors, new Dictionary<string, string>
        {
            ["format"] = "arrakis-tuned-lens",
            ["n_layers"] = NLayers.ToString(CultureInfo.InvariantCulture),
            ["translator"] = "x + x @ weight + bias",
        });
    }

    /// <summary>Loads translators saved by <see cref="Save"/> for <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentException">The file's translators do not fit the model (count or d_model).</exception>
    public static TunedLens Load(string path, HookedTransformer model)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(model);
        var cfg = model.Cfg;
        using var file = SafetensorsFile.Open(path);
        int layers = file.Names.Count(n => n.EndsWith(".weight", StringComparison.Ordinal));
        if (layers != cfg.NLayers)
            throw new ArgumentException($"{path} holds {layers} translators; {cfg.ModelName} has {cfg.NLayers} layers, so expected {cfg.NLayers}.", nameof(path));
        var weights = new Tensor[layers];
        var biases = new Tensor[layers];
        for (int l = 0; l < layers; l++)
        {
            weights[l] = file.Load($"layers.{l}.weight", float32, model.Device);
            biases[l] = file.Load($"layers.{l}.bias", float32, model.Device);
            if (!weights[l].shape.SequenceEqual(new long[] { cfg.DModel, cfg.DModel }) || !biases[l].shape.SequenceEqual(new long[] { cfg.DModel }))
                throw new ArgumentException($"{path}: translator {l} has weight [{string.Join(", ", weights[l].shape)}] and bias [{string.Join(", ", biases[l].shape)}]; " +
                    $"expected [{cfg.DModel}, {cfg.DModel}] and [{cfg.DModel}] (d_model of {cfg.ModelName}).", nameof(path));
        }
        return new TunedLens(weights, biases);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var t in _weights.Concat(_biases))
            t.Dispose();
    }

    /// <summary>The streams entering every block [layers][sequences, pos, d_model] and the final log-probabilities, in chunks of 32 sequences.</summary>
    private static (Tensor[] Streams, Tensor FinalLogProbs) Activations(HookedTransformer model, Tensor tokens)
    {
        var cfg = model.Cfg;
        var names = Enumerable.Range(0, cfg.NLayers).Select(l => ActNames.GetActName("resid_pre", l)).ToList();
        var streams = names.Select(_ => new List<Tensor>()).ToArray();
        var finals = new List<Tensor>();
        using var noGrad = no_grad();
        for (long start = 0; start < tokens.shape[0]; start += 32)
        {
            var chunk = tokens[TensorIndex.Slice(start, Math.Min(start + 32, tokens.shape[0]))];
            var (logits, cache) = model.RunWithCache(chunk, names);
            using (cache)
            {
                for (int l = 0; l < names.Count; l++)
                    streams[l].Add(cache[names[l]].clone());
                finals.Add(logits.log_softmax(-1));
            }
        }
        return (streams.Select(parts => cat(parts, 0)).ToArray(), cat(finals, 0));
    }

    private int CheckLayer(int layer) => layer >= 0 && layer < NLayers ? layer
        : throw new ArgumentOutOfRangeException(nameof(layer), layer, $"layer is {layer}; expected a translator in [0, {NLayers}).");
}

/// <summary>How <see cref="TunedLens.Train"/> trains.</summary>
public sealed record TunedLensOptions
{
    /// <summary>Optimiser steps (default 200).</summary>
    public int Steps { get; init; } = 200;

    /// <summary>Sequences per step (default 16).</summary>
    public int BatchSize { get; init; } = 16;

    /// <summary>Adam's learning rate (default 1e-3).</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Seed of the minibatch order.</summary>
    public long Seed { get; init; }

    internal void Validate()
    {
        if (Steps < 1) throw new ArgumentOutOfRangeException(nameof(Steps), Steps, $"Steps is {Steps}; expected at least 1.");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, $"BatchSize is {BatchSize}; expected at least 1.");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, $"LearningRate is {LearningRate}; expected a positive number.");
    }
}

/// <summary>One step of <see cref="TunedLens.Train"/>: the summed KL over layers of this step's minibatch.</summary>
public sealed record TunedLensProgress(int Step, int TotalSteps, double Loss);
