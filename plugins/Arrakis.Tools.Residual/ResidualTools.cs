using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Residual;

/// <summary>
/// The built-in <c>residual</c> tool (see <see cref="IResidualTools"/> and docs/tools/residual.md). Thin: the movement is
/// <see cref="Arrakis.ResidualMovement"/>, the attributions <see cref="InputAttribution"/>.
/// </summary>
public sealed class ResidualTools : IResidualTools, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public ResidualTools() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public ResidualTools(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new ResidualTools(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("residual");

    /// <inheritdoc />
    public ResidualMovementResult ResidualMovement(Tensor inputIds, int batchIndex = 0)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var names = Enumerable.Range(0, model.Cfg.NLayers).SelectMany(l => model.blocks[l].mlp is null
            ? new[] { $"blocks.{l}.hook_resid_pre", $"blocks.{l}.hook_resid_post", $"blocks.{l}.hook_attn_out" }
            : new[] { $"blocks.{l}.hook_resid_pre", $"blocks.{l}.hook_resid_post", $"blocks.{l}.hook_attn_out", $"blocks.{l}.hook_mlp_out" });
        var (_, cache) = model.RunWithCache(tokens[b].unsqueeze(0).to(model.Device), names);
        using (cache)
            return new ResidualMovementResult(b, Arrakis.ResidualMovement.Measure(cache));
    }

    /// <inheritdoc />
    public FeatureAttributionResult FeatureAttribution(Tensor inputIds, long targetToken, int position = -1, int batchIndex = 0, int steps = 64, long? baselineToken = null)
    {
        ToolArguments.AtLeastOne(steps, nameof(steps));
        return Attribute(inputIds, targetToken, position, batchIndex, baselineToken, $"integrated gradients ({steps} steps)",
            (model, sequence, metric) => InputAttribution.IntegratedGradients(model, sequence, metric, steps, baselineToken));
    }

    /// <inheritdoc />
    public FeatureAttributionResult GradientTimesInput(Tensor inputIds, long targetToken, int position = -1, int batchIndex = 0, long? baselineToken = null) =>
        Attribute(inputIds, targetToken, position, batchIndex, baselineToken, "gradient × input (approximate: first-order, not complete)",
            (model, sequence, metric) => InputAttribution.GradientTimesInput(model, sequence, metric, baselineToken));

    private FeatureAttributionResult Attribute(Tensor inputIds, long targetToken, int position, int batchIndex, long? baselineToken, string method,
        Func<HookedTransformer, Tensor, Func<Tensor, Tensor>, InputAttributionValues> attribute)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        ToolArguments.Token(targetToken, model.Cfg, nameof(targetToken));
        if (baselineToken is { } baseline) ToolArguments.Token(baseline, model.Cfg, nameof(baselineToken));
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        int q = ToolArguments.Position(position, tokens.shape[1]);
        using var scope = NewDisposeScope();
        var sequence = tokens[b].unsqueeze(0);
        long[] ids = sequence[0].cpu().data<long>().ToArray();
        var values = attribute(model, sequence, logits => logits[.., q, targetToken]);
        var sources = values.PerPosition.Select((v, p) => new SourceAttribution(p, ids[p], v)).ToList();
        return new FeatureAttributionResult(method, targetToken, q, baselineToken is { } id ? $"token {id}" : "zero embeddings", sources, values.Output, values.BaselineOutput);
    }
}
