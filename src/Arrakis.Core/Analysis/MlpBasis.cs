using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// The residual-stream directions an MLP reads from and writes to (the seed's <c>mlp_basis</c>): W_in = U S Vᵀ gives read
/// directions U[:, i] in d_model space with singular values S; W_out = U′ S′ V′ᵀ gives write directions V′[:, i]. Gated MLPs
/// also report W_gate's read directions. Explained variance of direction i is sᵢ² / Σ s².
/// </summary>
/// <param name="Layer">Block index.</param>
/// <param name="ReadDirections">[rank, d_model]: rows are unit read directions of W_in, strongest first.</param>
/// <param name="ReadSingularValues">[rank].</param>
/// <param name="WriteDirections">[rank, d_model]: rows are unit write directions of W_out, strongest first.</param>
/// <param name="WriteSingularValues">[rank].</param>
/// <param name="GateDirections">[rank, d_model] for gated MLPs, else <c>null</c>.</param>
/// <param name="GateSingularValues">[rank] for gated MLPs, else <c>null</c>.</param>
public sealed record MlpBasis(int Layer, Tensor ReadDirections, Tensor ReadSingularValues, Tensor WriteDirections, Tensor WriteSingularValues,
    Tensor? GateDirections, Tensor? GateSingularValues) : IDisposable
{
    /// <summary>sᵢ² / Σ s² of the read directions.</summary>
    public Tensor ReadExplainedVariance => ExplainedVariance(ReadSingularValues);

    /// <summary>sᵢ² / Σ s² of the write directions.</summary>
    public Tensor WriteExplainedVariance => ExplainedVariance(WriteSingularValues);

    /// <summary>Computes the bases of block <paramref name="layer"/>'s MLP.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Layer out of range.</exception>
    /// <exception cref="InvalidOperationException">Attention-only model.</exception>
    public static MlpBasis Compute(HookedTransformer model, int layer)
    {
        ArgumentNullException.ThrowIfNull(model);
        int l = model.LayerIndex(layer, nameof(layer));
        var mlp = model.blocks[l].mlp ?? throw new InvalidOperationException("This model is attention-only: it has no MLP to take a basis of.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (readU, readS, _) = linalg.svd(mlp.W_in.detach().to(float32), fullMatrices: false);   // W_in [d_model, d_mlp]
        var (_, writeS, writeVh) = linalg.svd(mlp.W_out.detach().to(float32), fullMatrices: false);  // W_out [d_mlp, d_model]
        Tensor? gateDirections = null, gateS = null;
        if (mlp.W_gate is { } gate)
        {
            var (gateU, s, _) = linalg.svd(gate.detach().to(float32), fullMatrices: false);
            gateDirections = gateU.t().contiguous().MoveToOuterDisposeScope();
            gateS = s.MoveToOuterDisposeScope();
        }
        return new MlpBasis(l, readU.t().contiguous().MoveToOuterDisposeScope(), readS.MoveToOuterDisposeScope(),
            writeVh.contiguous().MoveToOuterDisposeScope(), writeS.MoveToOuterDisposeScope(), gateDirections, gateS);
    }

    private static Tensor ExplainedVariance(Tensor singularValues)
    {
        var squared = singularValues.square();
        return squared / squared.sum();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        ReadDirections.Dispose();
        ReadSingularValues.Dispose();
        WriteDirections.Dispose();
        WriteSingularValues.Dispose();
        GateDirections?.Dispose();
        GateSingularValues?.Dispose();
    }
}
