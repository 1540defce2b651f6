using System.Diagnostics;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// Trains a <see cref="SparseAutoencoder"/> on an <see cref="IActivationSource"/> (SAELens <c>SAETrainer</c>): Adam on
/// <c>‖x − recons‖² + λ·Σ_i acts_i·‖W_dec[i]‖</c> (the L1 term for the standard architecture only; TopK and BatchTopK
/// are sparse by construction), decoder rows renormalised to unit norm after every step with the gradient component
/// along each row removed first, learning-rate and L1 warm-ups, dead-latent resampling, checkpoints and a final report.
/// </summary>
/// <remarks>
/// Seeded and reproducible: the initialisation and resampling use <see cref="SaeTrainingOptions.Seed"/>, and the data
/// order is the source's (seeded for <see cref="TensorActivationSource"/> and <see cref="ActivationStore"/>'s shuffle
/// buffer); the same seed, source and options give the same weights on the same device.
/// Resampling (Bricken et al. 2023): each dead latent's decoder row becomes a unit vector along <c>x − b_dec</c> for an
/// activation drawn with probability ∝ its squared reconstruction loss, its encoder column that vector scaled to 0.2×
/// the mean norm of the live encoder columns, its bias 0; Adam's moments restart for every parameter (TorchSharp gives
/// no per-row access to them).
/// </remarks>
/// <example>
/// <code>
/// var sae = new SparseAutoencoder(new SaeConfig { DIn = 128, DSae = 512, Architecture = SaeArchitecture.TopK, K = 16 });
/// var report = new SaeTrainer(sae, store.ShuffledBatches(seed: 0), new() { Steps = 2000 })
///     .Train(p => Console.Write($"\r{p}"));
/// </code>
/// </example>
public sealed class SaeTrainer
{
    private const double ThresholdMomentum = 0.99;
    private readonly SparseAutoencoder _sae;
    private readonly IActivationSource _source;

    /// <summary>A trainer for <paramref name="sae"/> (re-initialised when training starts) on <paramref name="source"/>.</summary>
    /// <exception cref="ArgumentException">The source's width is not the SAE's d_in, or the options are invalid.</exception>
    public SaeTrainer(SparseAutoencoder sae, IActivationSource source, SaeTrainingOptions? options = null)
    {
        _sae = sae ?? throw new ArgumentNullException(nameof(sae));
        _source = source ?? throw new ArgumentNullException(nameof(source));
        Options = (options ?? new SaeTrainingOptions()).Validate();
        if (source.DIn != sae.Cfg.DIn)
            throw new ArgumentException($"The source's activations have width {source.DIn}; the SAE reads d_in = {sae.Cfg.DIn}.", nameof(source));
        if (sae.Cfg.Architecture == SaeArchitecture.JumpRelu)
            throw new ArgumentException("JumpReLU SAEs are trained as BatchTopK (Architecture = BatchTopK), which ends converted to JumpReLU.", nameof(sae));
    }

    /// <summary>The options in force.</summary>
    public SaeTrainingOptions Options { get; }

    /// <summary>
    /// Trains for <see cref="SaeTrainingOptions.Steps"/> steps and reports. With <paramref name="spliceModel"/> and
    /// <paramref name="spliceTokens"/>, the report also holds the cross-entropy loss recovered when the SAE is spliced
    /// in at its <c>hook_name</c>.
    /// </summary>
    /// <param name="progress">Called after every step (its <c>ToString()</c> is the live progress line).</param>
    /// <param name="cancellationToken">Stops between steps (the SAE keeps the weights of the last step).</param>
    /// <param name="spliceModel">The model the activations came from.</param>
    /// <param name="spliceTokens">int64 [batch, pos] tokens for the splice evaluation.</param>
    public SaeTrainingReport Train(Action<SaeTrainingProgress>? progress = null, CancellationToken cancellationToken = default,
        HookedTransformer? spliceModel = null, Tensor? spliceTokens = null)
    {
        var o = Options;
        var sae = _sae;
        sae.InitializeForTraining(o.Seed);
        sae.train();
        if (o.InitializeBDecToMean)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            sae.b_dec.copy_(_source.Next(o.BatchSize).to(sae.Cfg.Dtype, sae.Device).mean([0]));
        }
        var parameters = new[] { sae.W_enc, sae.W_dec, sae.b_enc, sae.b_dec };
        var optimizer = NewOptimizer(parameters);
        using var sinceFired = zeros(sae.Cfg.DSae, dtype: ScalarType.Int64, device: sae.Device);  // [d_sae] steps since each latent last fired
        double threshold = double.NaN;
        int resampled = 0;
        var clock = Stopwatch.StartNew();
        int step = 0;
        try
        {
            for (step = 1; step <= o.Steps; step++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                double lr = o.LearningRateAt(step);
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = lr;
                double loss, mse, l0, explained, dead, minActive;
                using (var scope = NewDisposeScope())
                {
                    var x = _source.Next(o.BatchSize).to(sae.Cfg.Dtype, sae.Device);  // [batch, d_in]
                    var acts = sae.Activate(sae.EncodePre(x));                         // [batch, d_sae]
                    var error = sae.Decode(acts) - x;                                  // [batch, d_in]
                    var mseTerm = error.pow(2).sum(-1).mean();
                    var lossTerm = mseTerm;
                    if (sae.Cfg.Architecture == SaeArchitecture.Standard)
                        lossTerm = mseTerm + o.L1CoefficientAt(step) * (acts * sae.W_dec.norm(1, p: 2)).sum(-1).mean();
                    optimizer.zero_grad();
                    lossTerm.backward();
                    using (no_grad())
                    {
                        var g = sae.W_dec.grad!;
                        g.sub_((g * sae.W_dec).sum(1, keepdim: true) * sae.W_dec);
                    }
                    optimizer.step();
                    sae.NormalizeDecoderRows();
                    using (no_grad())
                    {
                        var active = acts > 0;
                        sinceFired.add_(1).masked_fill_(active.any(0), 0);
                        var centred = x - x.mean([0], keepdim: true);
                        var stats = stack([
                            lossTerm.detach(), mseTerm.detach(), active.to(ScalarType.Float32).sum(-1).mean().to(lossTerm.dtype),
                            1 - error.detach().pow(2).sum() / centred.pow(2).sum().clamp_min(1e-30),
                            (sinceFired >= o.DeadWindowSteps).to(lossTerm.dtype).mean(),
                            acts.detach().masked_fill(active.logical_not(), double.PositiveInfinity).min(),
                        ]).to(ScalarType.Float64).cpu().data<double>().ToArray();
                        (loss, mse, l0, explained, dead, minActive) = (stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]);
                    }
                }
                if (sae.Cfg.Architecture == SaeArchitecture.BatchTopK && double.IsFinite(minActive))
                    threshold = double.IsNaN(threshold) ? minActive : ThresholdMomentum * threshold + (1 - ThresholdMomentum) * minActive;
                if (o.ResampleEverySteps > 0 && step % o.ResampleEverySteps == 0 && step <= (o.ResampleUntilStep ?? o.Steps / 2))
                {
                    int count = Resample(sinceFired, step);
                    if (count > 0)
                    {
                        resampled += count;
                        optimizer.Dispose();
                        optimizer = NewOptimizer(parameters);
                    }
                }
                if (o.CheckpointEverySteps > 0 && step % o.CheckpointEverySteps == 0)
                    SaveCheckpoint(Path.Combine(o.CheckpointDirectory!, $"step_{step:D6}"), threshold);
                double seconds = clock.Elapsed.TotalSeconds;
                progress?.Invoke(new SaeTrainingProgress(step, o.Steps, loss, mse, l0, explained, dead, lr,
                    (double)step * o.BatchSize / Math.Max(seconds, 1e-9), clock.Elapsed,
                    TimeSpan.FromSeconds(seconds / step * (o.Steps - step))));
            }
        }
        finally
        {
            optimizer.Dispose();
            sae.eval();
        }
        var elapsed = clock.Elapsed;
        if (sae.Cfg.Architecture == SaeArchitecture.BatchTopK)
            sae.ConvertToJumpRelu(double.IsNaN(threshold) ? 0 : threshold);
        var final = SaeEvaluation.Reconstruction(sae, EvalBatches());
        var splice = spliceModel is not null && spliceTokens is not null ? SaeEvaluation.Splice(spliceModel, sae, spliceTokens) : null;
        return new SaeTrainingReport(o.Steps, final.L0, final.Mse, final.ExplainedVariance, final.DeadFraction,
            final.DenseFraction(o.DenseThreshold), resampled, elapsed, splice);
    }

    private IEnumerable<Tensor> EvalBatches()
    {
        for (int i = 0; i < Options.EvalBatches; i++)
        {
            var batch = _source.Next(Options.BatchSize);
            try { yield return batch; }
            finally { batch.Dispose(); }
        }
    }

    private Adam NewOptimizer(Parameter[] parameters) =>
        optim.Adam(parameters, Options.LearningRate, Options.Beta1, Options.Beta2);

    /// <summary>Resamples the latents dead for the whole window; returns how many.</summary>
    private int Resample(Tensor sinceFired, int step)
    {
        var sae = _sae;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var deadMask = sinceFired >= Options.DeadWindowSteps;
        var dead = deadMask.nonzero().flatten();  // [n_dead]
        int count = (int)dead.shape[0];
        if (count == 0)
            return 0;
        var x = _source.Next(Options.BatchSize).to(sae.Cfg.Dtype, sae.Device);
        var losses = (sae.Decode(sae.Activate(sae.EncodePre(x))) - x).pow(2).sum(-1).to(ScalarType.Float64).cpu();  // [batch]
        var weights = losses.pow(2);
        if (weights.sum().ToDouble() <= 0)
            weights = ones_like(weights);
        var generator = new Generator((ulong)(Options.Seed * 1_000_003 + step), device: CPU);
        var picks = multinomial(weights, count, replacement: true, generator: generator).to(sae.Device);
        var directions = x.index_select(0, picks) - sae.b_dec;
        directions = directions / directions.norm(1, keepdim: true, p: 2).clamp_min(1e-12);  // [n_dead, d_in]
        var alive = deadMask.logical_not();
        double aliveNorm = alive.any().ToBoolean()
            ? sae.W_enc.norm(0, p: 2).masked_select(alive).mean().ToDouble()
            : 1.0;
        sae.W_dec.index_copy_(0, dead, directions);
        sae.W_enc.index_copy_(1, dead, directions.t() * (0.2 * aliveNorm));
        sae.b_enc.index_fill_(0, dead, 0);
        sinceFired.index_fill_(0, dead, 0);
        return count;
    }

    private void SaveCheckpoint(string directory, double threshold)
    {
        if (_sae.Cfg.Architecture != SaeArchitecture.BatchTopK)
        {
            SaeFolder.Save(_sae, directory);
            return;
        }
        using var copy = new SparseAutoencoder(_sae.Cfg, _sae.Device);
        using (no_grad())
            foreach (var (name, parameter) in copy.named_parameters())
                parameter.copy_(_sae.get_parameter(name)!);
        copy.ConvertToJumpRelu(double.IsNaN(threshold) ? 0 : threshold);
        SaeFolder.Save(copy, directory);
    }
}
