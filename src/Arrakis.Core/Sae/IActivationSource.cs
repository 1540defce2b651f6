using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>An endless stream of activation batches for training an SAE (SAELens <c>ActivationsStore.next_batch</c>).</summary>
public interface IActivationSource
{
    /// <summary>The width of one activation (d_in).</summary>
    int DIn { get; }

    /// <summary>The next <paramref name="batchSize"/> activations, float32 [batch, d_in]; the caller disposes it.</summary>
    Tensor Next(int batchSize);
}
