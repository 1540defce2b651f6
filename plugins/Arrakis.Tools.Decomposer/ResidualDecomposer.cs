using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Decomposer;

/// <summary>
/// The built-in <c>decomposer</c> tool (see <see cref="IResidualDecomposer"/> and docs/tools/decomposer.md). Thin: the
/// factorized decomposition is <see cref="ActivationCache.GetFullResidDecomposition"/> and the bases are
/// <see cref="Arrakis.MlpBasis.Compute"/>; this file picks the position, ranks and checks the reconstruction.
/// </summary>
public sealed class ResidualDecomposer : IResidualDecomposer, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public ResidualDecomposer() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public ResidualDecomposer(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new ResidualDecomposer(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("decomposer");

    /// <summary>
    /// W_in = U S Vᵀ: read directions U[:, i]; W_out = U′ S′ V′ᵀ: write directions V′[:, i]; explained variance
    /// sᵢ² / Σⱼ sⱼ². Gated MLPs add W_gate's read directions.
    /// </summary>
    public MlpBasisResult MlpBasis(int layerIdx)
    {
        var model = Model;
        ToolArguments.Layer(layerIdx, model.Cfg);
        if (model.Cfg.AttnOnly)
            throw new InvalidOperationException($"This model is attention-only: block {layerIdx} has no MLP to take a basis of.");
        var basis = Arrakis.MlpBasis.Compute(model, layerIdx);
        using (basis.ReadSingularValues)
        using (basis.WriteSingularValues)
        using (basis.GateSingularValues)
        {
            return new MlpBasisResult(layerIdx,
                Directions(basis.ReadDirections, basis.ReadSingularValues),
                Directions(basis.WriteDirections, basis.WriteSingularValues),
                basis.GateDirections is { } gate ? Directions(gate, basis.GateSingularValues!) : null);
        }
    }

    /// <summary>
    /// x = Σᵢ cᵢ over heads (z·W_O), MLPs (mlp_out) or neurons (post·W_out), embed, pos_embed and bias, at one position;
    /// ranked by ‖cᵢ‖ or by |cᵢ·d/‖d‖|; error ‖Σᵢ cᵢ − x‖ / ‖x‖.
    /// </summary>
    public ResidualDecompositionResult DecomposeResidual(Tensor inputIds, int layerIdx, int topK = 10, bool afterLayer = false, bool perNeuron = false,
        int position = -1, Tensor? direction = null, int batchIndex = 0)
    {
        var model = Model;
        var cfg = model.Cfg;
        var tokens = ToolArguments.Tokens(inputIds, cfg);
        ToolArguments.Layer(layerIdx, cfg);
        ToolArguments.AtLeastOne(topK, nameof(topK));
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        int q = ToolArguments.Position(position, tokens.shape[1]);
        if (direction is not null && (direction.dim() != 1 || direction.shape[0] != cfg.DModel || !direction.is_floating_point()))
            throw new ArgumentException($"direction has shape [{string.Join(", ", direction.shape)}] and dtype {direction.dtype}; expected a floating-point [{cfg.DModel}] (d_model) vector.", nameof(direction));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The stream entering block `stream`; entering block n_layers means leaving the last block.
        int stream = afterLayer ? layerIdx + 1 : layerIdx;
        string hookName = afterLayer ? $"blocks.{layerIdx}.hook_resid_post" : $"blocks.{layerIdx}.hook_resid_pre";
        var (_, cache) = model.RunWithCache(tokens[b].unsqueeze(0));
        using (cache)
        {
            // The factorized view: one vector per component output, [components, d_model] at position q.
            var decomposition = cache.GetFullResidDecomposition(stream, expandNeurons: perNeuron, posSlice: q);
            var vectors = decomposition.Stack[.., 0].clone();
            var x = cache[hookName][0, q];
            double residual = (vectors.sum(0L) - x).norm().item<float>(), size = x.norm().item<float>();
            double error = size > 0 ? residual / size : residual;

            double[] norms = Doubles(vectors.square().sum(-1L).sqrt());
            double[]? projections = direction is null ? null
                : Doubles(vectors.matmul(direction.to(vectors.dtype, vectors.device) / direction.norm().to(vectors.dtype, vectors.device)));
            var components = decomposition.Labels.Select((label, i) => new ResidualComponent(label, norms[i], projections?[i])).ToList();
            var top = components.OrderByDescending(c => c.Projection is { } p ? Math.Abs(p) : c.Norm).Take(topK).ToList();
            return new ResidualDecompositionResult(layerIdx, afterLayer, hookName, q, b, projections is null ? "norm" : "projection",
                components, top, error, vectors.MoveToOuterDisposeScope());
        }
    }

    private static SingularDirections Directions(Tensor directions, Tensor singularValues)
    {
        double[] s = Doubles(singularValues);
        double total = s.Sum(v => v * v);
        return new SingularDirections(directions, s, s.Select(v => total > 0 ? v * v / total : 0).ToArray());
    }

    private static double[] Doubles(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).data<double>().ToArray();
}
