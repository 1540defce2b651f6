using Arrakis.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Probing;

/// <summary>
/// Linear probes per layer (Alain &amp; Bengio 2016; Hewitt &amp; Liang 2019): cache one activation
/// (<c>blocks.{l}.hook_{activation}</c>) at one position of each prompt, split the examples (seeded) into training and
/// validation sets, standardise the features with the training set's mean and std, and fit per layer
/// <list type="bullet">
/// <item>logistic: softmax(x·W + b), minimising mean cross-entropy + λ‖W‖² by full-batch Adam; score = accuracy;</item>
/// <item>ridge: W = (XᵀX + λI)⁻¹Xᵀ(y − ȳ) on centred features; score R² = 1 − Σ(y − ŷ)²/Σ(y − ȳ_val)².</item>
/// </list>
/// The control task refits the same probe on the labels shuffled across examples (same label distribution, no relation
/// to the inputs); selectivity = validation score − control validation score.
/// </summary>
public static class LinearProbing
{
    /// <summary>Logistic probes: per layer, accuracy of predicting <paramref name="labels"/> (classes 0…C−1).</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompts">Token ids of each example, [pos] or [1, pos] (lengths may differ).</param>
    /// <param name="labels">One class per example, ≥ 0.</param>
    /// <param name="activation">TL's short name of a [batch, pos, d] block activation: resid_pre, resid_mid, resid_post, attn_out, mlp_out, post, ….</param>
    /// <param name="position">The position probed in each prompt; negative counts from its end.</param>
    /// <param name="options">Split, seed, steps, learning rate, λ.</param>
    /// <param name="progress">Reports every step of every fit (layers × 2 fits).</param>
    public static ProbeResult Logistic(HookedTransformer model, IReadOnlyList<Tensor> prompts, IReadOnlyList<int> labels, string activation = "resid_post",
        int position = -1, ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Any(l => l < 0))
            throw new ArgumentOutOfRangeException(nameof(labels), labels.First(l => l < 0), "labels holds a negative class; expected classes 0…C−1.");
        return Fit(model, prompts, labels.Select(l => (double)l).ToArray(), activation, position, options, progress, logistic: true);
    }

    /// <summary>Ridge-regression probes: per layer, R² of predicting <paramref name="targets"/>.</summary>
    public static ProbeResult Ridge(HookedTransformer model, IReadOnlyList<Tensor> prompts, IReadOnlyList<double> targets, string activation = "resid_post",
        int position = -1, ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        if (targets.Any(t => !double.IsFinite(t)))
            throw new ArgumentOutOfRangeException(nameof(targets), targets.First(t => !double.IsFinite(t)), "targets holds a value that is not finite.");
        return Fit(model, prompts, targets.ToArray(), activation, position, options, progress, logistic: false);
    }

    /// <summary>The activation at <paramref name="position"/> of each prompt, per layer: [layer] → [examples, d], float32 on the model's device.</summary>
    public static IReadOnlyList<Tensor> Collect(HookedTransformer model, IReadOnlyList<Tensor> prompts, string activation, int position)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentException.ThrowIfNullOrEmpty(activation);
        int layers = model.Cfg.NLayers;
        var names = Enumerable.Range(0, layers).Select(l => HookName(activation, l)).ToList();
        foreach (var n in names)
            model.GetHookPoint(n);   // throws with the closest names
        var rows = new Tensor[layers][];
        for (int l = 0; l < layers; l++) rows[l] = new Tensor[prompts.Count];
        using var noGrad = no_grad();
        var ids = prompts.Select((p, i) => InputValidation.Tokens(p ?? throw new ArgumentNullException(nameof(prompts), $"prompts[{i}] is null."), model.Cfg, nameof(prompts))).ToList();
        foreach (var group in ids.Select((t, i) => (t, i)).GroupBy(x => x.t.shape[1]))
        {
            using var scope = NewDisposeScope();
            long pos = group.Key;
            long at = position < 0 ? position + pos : position;
            if (at < 0 || at >= pos)
                throw new ArgumentOutOfRangeException(nameof(position), position, $"position is {position}; a prompt has {pos} tokens, so expected [{-pos}, {pos}).");
            var batch = cat(group.Select(x => x.t).ToArray(), 0).to(model.Device);
            var (_, cache) = model.RunWithCache(batch, names);
            using (cache)
                for (int l = 0; l < layers; l++)
                {
                    var values = cache[names[l]][.., (int)at].to(float32);   // [group, d]
                    int k = 0;
                    foreach (var (_, i) in group)
                        rows[l][i] = values[k++].clone().MoveToOuterDisposeScope();
                }
        }
        return rows.Select(r => stack(r)).ToList();
    }

    private static string HookName(string activation, int layer) => activation switch
    {
        "resid_pre" or "resid_mid" or "resid_post" or "attn_out" or "mlp_out" => $"blocks.{layer}.hook_{activation}",
        "pre" or "post" => $"blocks.{layer}.mlp.hook_{activation}",
        _ => throw new ArgumentException($"activation is '{activation}'; expected resid_pre, resid_mid, resid_post, attn_out, mlp_out, pre or post.", nameof(activation)),
    };

    private static ProbeResult Fit(HookedTransformer model, IReadOnlyList<Tensor> prompts, double[] y, string activation, int position, ProbeOptions? options,
        IProgress<ProbeProgress>? progress, bool logistic)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        options ??= ProbeOptions.Default;
        if (prompts.Count != y.Length)
            throw new ArgumentException($"prompts has {prompts.Count} examples but the labels {y.Length}; expected one label per prompt.", nameof(prompts));
        if (!(options.TrainFraction > 0 && options.TrainFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(options), options.TrainFraction, $"options.TrainFraction is {options.TrainFraction}; expected (0, 1).");
        int n = y.Length, trainCount = (int)Math.Floor(options.TrainFraction * n);
        if (trainCount < 2 || n - trainCount < 1)
            throw new ArgumentException($"{n} examples split {trainCount}/{n - trainCount}; expected at least 2 training and 1 validation example.", nameof(prompts));
        if (options.Steps < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.Steps, $"options.Steps is {options.Steps}; expected at least 1.");
        double lambda = options.L2 ?? (logistic ? 1e-3 : 1.0);
        if (!(lambda >= 0))
            throw new ArgumentOutOfRangeException(nameof(options), lambda, $"options.L2 is {lambda}; expected λ ≥ 0.");

        var random = new SeededRandom(options.Seed, 0x9B0BE);
        var order = Enumerable.Range(0, n).ToList();
        random.Shuffle(order);
        var shuffled = y.ToList();
        random.Shuffle(shuffled);   // the control task: labels detached from the inputs, same distribution

        using var scope = NewDisposeScope();
        var features = Collect(model, prompts, activation, position);
        var trainIdx = tensor(order.Take(trainCount).Select(i => (long)i).ToArray(), dtype: int64, device: model.Device);
        var valIdx = tensor(order.Skip(trainCount).Select(i => (long)i).ToArray(), dtype: int64, device: model.Device);
        var layers = new List<LayerProbe>();
        int totalLayers = features.Count;
        for (int l = 0; l < totalLayers; l++)
        {
            using var layerScope = NewDisposeScope();
            var x = features[l].to(float64);
            var xTrain = x.index_select(0, trainIdx);
            var mean = xTrain.mean([0L], keepdim: true);
            var std = xTrain.std([0L], keepdim: true).clamp_min(1e-6);
            var z = (x - mean) / std;   // [n, d], standardised by the training set
            (double Train, double Val) Score(double[] labels, int fit)
            {
                var target = tensor(labels, dtype: float64, device: model.Device);
                return logistic
                    ? LogisticScores(z, target, trainIdx, valIdx, lambda, options, random.Next(int.MaxValue), p => progress?.Report(new ProbeProgress(l, totalLayers, fit * options.Steps + p, 2 * options.Steps)))
                    : RidgeScores(z, target, trainIdx, valIdx, lambda);
            }
            var real = Score(y, 0);
            var control = Score(shuffled.ToArray(), 1);
            layers.Add(new LayerProbe(l, real.Train, real.Val, control.Val));
        }
        return new ProbeResult(logistic ? "logistic" : "ridge", activation, position, trainCount, n - trainCount, layers);
    }

    private static (double, double) LogisticScores(Tensor z, Tensor labels, Tensor trainIdx, Tensor valIdx, double lambda, ProbeOptions options, int seed, Action<int> step)
    {
        var y = labels.to(int64);
        long classes = y.max().item<long>() + 1, d = z.shape[1];
        var xTrain = z.index_select(0, trainIdx).to(float32);
        var yTrain = y.index_select(0, trainIdx);
        var generator = new Generator((ulong)seed, device: CPU);
        var W = new TorchSharp.Modules.Parameter((randn([d, classes], dtype: float32, device: CPU, generator: generator) * 0.01).to(z.device));
        var b = new TorchSharp.Modules.Parameter(zeros([classes], dtype: float32, device: z.device));
        var optimizer = optim.Adam([W, b], lr: options.LearningRate);
        using (enable_grad())
            for (int s = 1; s <= options.Steps; s++)
            {
                using var stepScope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(xTrain.matmul(W) + b, yTrain) + lambda * W.pow(2).sum();
                loss.backward();
                optimizer.step();
                step(s);
            }
        using var noGrad = no_grad();
        double Accuracy(Tensor idx) => (z.index_select(0, idx).to(float32).matmul(W) + b).argmax(-1).eq(y.index_select(0, idx)).to(float64).mean().item<double>();
        return (Accuracy(trainIdx), Accuracy(valIdx));
    }

    private static (double, double) RidgeScores(Tensor z, Tensor y, Tensor trainIdx, Tensor valIdx, double lambda)
    {
        var xTrain = z.index_select(0, trainIdx);
        var yTrain = y.index_select(0, trainIdx);
        var yMean = yTrain.mean();
        long d = z.shape[1];
        var gram = xTrain.t().matmul(xTrain) + lambda * eye(d, dtype: float64, device: z.device);
        var w = linalg.solve(gram, xTrain.t().matmul(yTrain - yMean));   // [d]
        double R2(Tensor idx)
        {
            var target = y.index_select(0, idx);
            var predicted = z.index_select(0, idx).matmul(w) + yMean;
            var residual = (target - predicted).pow(2).sum();
            var total = (target - target.mean()).pow(2).sum().clamp_min(1e-12);
            return (1 - residual / total).item<double>();
        }
        return (R2(trainIdx), R2(valIdx));
    }
}
