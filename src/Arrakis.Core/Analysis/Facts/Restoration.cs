namespace Arrakis.Facts;

/// <summary>One state to restore to (or, for direct effects, to hold at) its value from the other run: hook and position.</summary>
/// <param name="HookName">A hook point with a [batch, pos, …] activation, e.g. <c>blocks.1.hook_mlp_out</c> or <c>hook_embed</c>.</param>
/// <param name="Position">The position in [0, pos).</param>
public sealed record Restoration(string HookName, int Position)
{
    /// <summary>The restoration of <paramref name="state"/> of block <paramref name="layer"/> at <paramref name="position"/>.</summary>
    public static Restoration Of(TraceState state, int layer, int position) => new(state.HookName(layer), position);

    /// <inheritdoc />
    public override string ToString() => $"{HookName}@{Position}";
}
