namespace Arrakis.Facts;

/// <summary>How <see cref="NeuronIntervention"/> changes the chosen neurons' activations a = <c>hook_post</c>[…, n].</summary>
public enum NeuronEdit
{
    /// <summary>a ← value·a (Arrakis's <c>scale</c>; 0 ablates the neuron).</summary>
    Scale,

    /// <summary>a ← value.</summary>
    Set,
}
