using static TorchSharp.torch;

namespace Arrakis.Experiments.Tools;

// Test-local tool contracts, standing in for the real tools of issue 9. Declared in this project, they are part of
// the compile-time tool catalogue exactly as contracts from a referenced assembly are.

/// <summary>Arrakis's <c>ResidualDecomposer</c> (seed 000).</summary>
[Tool("decomposer")]
public interface IResidualDecomposer
{
    /// <summary>The residual stream entering <paramref name="layerIdx"/>, split into the outputs that were added to it.</summary>
    /// <returns>Component name → contribution [batch, pos, d_model]; the contributions sum to <c>blocks.{layerIdx}.hook_resid_pre</c>.</returns>
    IReadOnlyDictionary<string, Tensor> DecomposeResidual(Tensor inputIds, int layerIdx);

    /// <summary>The <paramref name="topK"/> components with the largest norm at the last position, largest first.</summary>
    IReadOnlyList<string> TopComponents(Tensor inputIds, int layerIdx, int topK = 10);
}

/// <summary>Arrakis's <c>LogitAttributor</c> (seed 002).</summary>
[Tool("logit")]
public interface ILogitAttributor
{
    /// <summary>Direct logit attribution of each residual component to token <paramref name="targetIdx"/> at the last position.</summary>
    IReadOnlyDictionary<string, double> LogitAttribution(Tensor inputIds, int targetIdx);

    /// <summary>The logit of <paramref name="targetToken"/> read from the residual stream after each of the first <paramref name="nLayers"/> layers (unnormalised logit lens).</summary>
    IReadOnlyList<double> TrackTokenCirculation(Tensor inputIds, int targetToken, int nLayers = 5);
}

/// <summary>Arrakis's <c>AttentionComposer</c> (seed 003).</summary>
[Tool("composer")]
public interface IAttentionComposer
{
    /// <summary>
    /// Composition score of head1 into head2: α·Q-composition + (1−α)·K-composition, each
    /// ‖W_OV¹ W_QK²‖_F / (‖W_OV¹‖_F ‖W_QK²‖_F) with the product taken on the query or key side.
    /// </summary>
    double HeadComposition((int Layer, int Head) head1, (int Layer, int Head) head2, double alpha);

    /// <summary>Mean absolute change of head2's attention pattern when head1's output (hook_z) is zero-ablated.</summary>
    double AttentionPathPatching(Tensor inputIds, (int Layer, int Head) head1, (int Layer, int Head) head2);
}
