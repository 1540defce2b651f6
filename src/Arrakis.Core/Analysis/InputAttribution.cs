using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>Attribution of a scalar f to each input position's token embedding (<see cref="InputAttribution"/>).</summary>
/// <param name="PerPosition">One value per position.</param>
/// <param name="Output">f at the input.</param>
/// <param name="BaselineOutput">f at the baseline (every token embedding replaced by the baseline's).</param>
public sealed record InputAttributionValues(IReadOnlyList<double> PerPosition, double Output, double BaselineOutput)
{
    /// <summary>Σ of the attributions.</summary>
    public double Total => PerPosition.Sum();

    /// <summary>|Σ attributions − (f(x) − f(baseline))| / |f(x) − f(baseline)|: 0 for an exactly complete attribution.</summary>
    public double CompletenessError => Math.Abs(Total - (Output - BaselineOutput)) / Math.Max(Math.Abs(Output - BaselineOutput), 1e-12);
}

/// <summary>
/// Attribution of a scalar output f (by default one logit) to the token embeddings e_p (<c>hook_embed</c>, positions kept):
/// integrated gradients (Sundararajan et al. 2017), IG_p = (e_p − e′_p)·∫₀¹ ∂f/∂e_p(e′ + α(e − e′)) dα, approximated by
/// the midpoint rule with m steps — complete up to that approximation: Σ_p IG_p ≈ f(e) − f(e′) (the error is reported);
/// and gradient × input, (∂f/∂e_p)·(e_p − e′_p) at the input, a first-order Taylor term that is not complete.
/// </summary>
public static class InputAttribution
{
    /// <summary>
    /// Integrated gradients of <paramref name="metric"/> with respect to the token embeddings of one sequence.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="tokens">One sequence [1, pos] or [pos].</param>
    /// <param name="metric">logits [batch, pos, d_vocab] → [batch], one scalar per sequence.</param>
    /// <param name="steps">Midpoints α = (k − ½)/m, k = 1…m, at least 1; evaluated in batches of up to 32.</param>
    /// <param name="baselineToken">The baseline e′: every position's embedding replaced by this token's; <c>null</c>: zero embeddings.</param>
    public static InputAttributionValues IntegratedGradients(HookedTransformer model, Tensor tokens, Func<Tensor, Tensor> metric, int steps = 64, long? baselineToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metric);
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), steps, $"steps is {steps}; expected at least 1.");
        using var scope = NewDisposeScope();
        var (sequence, embedding, baseline) = Embeddings(model, tokens, baselineToken);   // [1, pos], [pos, d_model] ×2
        var total = zeros_like(embedding);
        for (int start = 0; start < steps; start += 32)
        {
            using var chunkScope = NewDisposeScope();
            int count = Math.Min(32, steps - start);
            var alphas = (arange(start, start + count, dtype: float32, device: embedding.device) + 0.5f) / steps;   // [count]
            var points = baseline + alphas.view(-1, 1, 1) * (embedding - baseline);                              // [count, pos, d_model]
            var gradient = Gradient(model, sequence.repeat(count, 1), points, metric);
            total.add_(gradient.sum([0L]));   // sum over the points (a bare 0 would bind to sum(ScalarType))
        }
        var attributions = ((embedding - baseline) * total / steps).sum(-1);   // [pos]
        return new InputAttributionValues(Doubles(attributions), Output(model, sequence, embedding, metric), Output(model, sequence, baseline, metric));
    }

    /// <summary>Gradient × input: (∂f/∂e_p at e)·(e_p − e′_p), a first-order approximation (not complete).</summary>
    public static InputAttributionValues GradientTimesInput(HookedTransformer model, Tensor tokens, Func<Tensor, Tensor> metric, long? baselineToken = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(metric);
        using var scope = NewDisposeScope();
        var (sequence, embedding, baseline) = Embeddings(model, tokens, baselineToken);
        var gradient = Gradient(model, sequence, embedding.unsqueeze(0), metric)[0];
        var attributions = ((embedding - baseline) * gradient).sum(-1);
        return new InputAttributionValues(Doubles(attributions), Output(model, sequence, embedding, metric), Output(model, sequence, baseline, metric));
    }

    private static (Tensor Sequence, Tensor Embedding, Tensor Baseline) Embeddings(HookedTransformer model, Tensor tokens, long? baselineToken)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var sequence = (tokens.dim() == 1 ? tokens.unsqueeze(0) : tokens).to(model.Device);
        if (sequence.dim() != 2 || sequence.shape[0] != 1)
            throw new ArgumentException($"tokens has shape [{string.Join(", ", tokens.shape)}]; expected one sequence, [pos] or [1, pos].", nameof(tokens));
        if (baselineToken is { } b && (b < 0 || b >= model.Cfg.DVocab))
            throw new ArgumentOutOfRangeException(nameof(baselineToken), b, $"baselineToken is {b}; expected a vocabulary id in [0, {model.Cfg.DVocab}).");
        var embedding = model.W_E.index_select(0, sequence[0]);   // [pos, d_model]
        var baseline = baselineToken is { } id ? model.W_E[id].expand_as(embedding).clone() : zeros_like(embedding);
        return (sequence, embedding, baseline);
    }

    /// <summary>∂f/∂e at the given embeddings [n, pos, d_model], one forward and backward pass with hook_embed replaced.</summary>
    private static Tensor Gradient(HookedTransformer model, Tensor sequences, Tensor embeddings, Func<Tensor, Tensor> metric)
    {
        using var grad = enable_grad();
        Tensor? leaf = null;
        try
        {
            var logits = model.RunWithHooks(sequences, [new Hook("hook_embed", (_, _) => leaf = embeddings.detach().clone().requires_grad_(true).DetachFromDisposeScope())]);
            return torch.autograd.grad([metric(logits).sum()], [leaf!])[0].detach();
        }
        finally
        {
            leaf?.Dispose();
        }
    }

    private static double Output(HookedTransformer model, Tensor sequence, Tensor embedding, Func<Tensor, Tensor> metric)
    {
        using var noGrad = no_grad();
        var logits = model.RunWithHooks(sequence, [new Hook("hook_embed", (_, _) => embedding.unsqueeze(0))]);
        return metric(logits)[0].item<float>();
    }

    private static double[] Doubles(Tensor t) => t.detach().cpu().to(float64).data<double>().ToArray();
}
