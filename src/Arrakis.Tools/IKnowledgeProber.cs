using Arrakis.Probing;
using static TorchSharp.torch;

namespace Arrakis.Tools;

/// <summary>
/// The knowledge prober (Arrakis <c>KnowledgeProber</c>, <c>@exp.use_tools("knowledge")</c>): linear probes of a cached
/// activation per layer, with a train/validation split and Hewitt &amp; Liang's shuffled-label control task. Definitions:
/// docs/tools/knowledge.md; computation: <see cref="LinearProbing"/>.
/// </summary>
[Tool("knowledge")]
public interface IKnowledgeProber
{
    /// <summary>
    /// Logistic probes (Arrakis <c>knowledge_probe</c>, which compared one neuron's activations on two inputs): per layer,
    /// validation accuracy of predicting each prompt's class from <c>blocks.{l}.hook_{activation}</c> at
    /// <paramref name="position"/>, the control task's accuracy and the selectivity.
    /// </summary>
    /// <param name="prompts">Each example's token ids, [pos] or [1, pos].</param>
    /// <param name="labels">Each example's class, 0…C−1.</param>
    /// <param name="activation">resid_pre, resid_mid, resid_post, attn_out, mlp_out, pre or post.</param>
    /// <param name="position">Position probed in each prompt (negative: from its end).</param>
    /// <param name="options">Split, seed, steps, learning rate, λ.</param>
    /// <param name="progress">Progress of the fits (a progress bar in scripts).</param>
    ProbeResult KnowledgeProbe(IReadOnlyList<Tensor> prompts, IReadOnlyList<int> labels, string activation = "resid_post", int position = -1,
        ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null);

    /// <summary>Ridge-regression probes: per layer, validation R² of predicting <paramref name="targets"/>, the control's R² and the selectivity.</summary>
    ProbeResult RegressionProbe(IReadOnlyList<Tensor> prompts, IReadOnlyList<double> targets, string activation = "resid_post", int position = -1,
        ProbeOptions? options = null, IProgress<ProbeProgress>? progress = null);
}
