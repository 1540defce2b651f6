using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// A stack of residual-stream components with one label per component (TL's <c>return_labels=True</c> result,
/// always returned: C# callers that only want the tensor use <see cref="Stack"/> or the implicit conversion).
/// </summary>
/// <param name="Stack">[components, *batch_and_pos_dims, d_model] (or the projected last dimension).</param>
/// <param name="Labels">One label per component, e.g. <c>L0H3</c>, <c>L1N17</c>, <c>embed</c>, <c>bias</c>, <c>0_pre</c>.</param>
public sealed record LabeledStack(Tensor Stack, IReadOnlyList<string> Labels) : IDisposable
{
    /// <summary>The stack tensor.</summary>
    public static implicit operator Tensor(LabeledStack stack) => stack.Stack;

    /// <summary>The component called <paramref name="label"/> [*batch_and_pos_dims, d_model].</summary>
    public Tensor this[string label]
    {
        get
        {
            int index = Labels.ToList().IndexOf(label);
            if (index < 0)
                throw new KeyNotFoundException($"No component '{label}'; components: {string.Join(", ", Labels.Take(12))}{(Labels.Count > 12 ? ", …" : "")}.");
            return Stack[index];
        }
    }

    /// <inheritdoc />
    public void Dispose() => Stack.Dispose();
}
