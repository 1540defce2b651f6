namespace Arrakis;

/// <summary>
/// An axis a patch is indexed by (TransformerLens <c>AxisNames</c>: <c>layer</c>, <c>pos</c>, <c>head_index</c>/<c>head</c>,
/// <c>dest_pos</c>, <c>src_pos</c>; plus <c>neuron</c> for MLP activations).
/// </summary>
public enum PatchAxis
{
    /// <summary><c>layer</c>: which block's hook point; every index set starts with it.</summary>
    Layer,

    /// <summary><c>pos</c>: the sequence position (dimension 1 of [batch, pos, …] activations).</summary>
    Pos,

    /// <summary>
    /// <c>head</c>: the head (dimension 2 of q, z, result [batch, pos, head, d_head], dimension 1 of pattern and scores).
    /// For <c>k</c> and <c>v</c> it is the key/value head under grouped-query attention (their hook shape is
    /// [batch, pos, kv_head, d_head]), so one patch reaches every query head that reads it.
    /// </summary>
    Head,

    /// <summary><c>dest_pos</c>: the query position of an attention pattern or score [batch, head, dest_pos, src_pos].</summary>
    DestPos,

    /// <summary><c>src_pos</c>: the key position of an attention pattern or score.</summary>
    SrcPos,

    /// <summary><c>neuron</c>: the MLP neuron (dimension 2 of <c>pre</c>/<c>post</c> [batch, pos, d_mlp]).</summary>
    Neuron,
}

/// <summary>TransformerLens's names of the axes.</summary>
public static class PatchAxisNames
{
    /// <summary><c>layer</c>, <c>pos</c>, <c>head</c>, <c>dest_pos</c>, <c>src_pos</c>, <c>neuron</c>.</summary>
    public static string TlName(this PatchAxis axis) => axis switch
    {
        PatchAxis.Layer => "layer",
        PatchAxis.Pos => "pos",
        PatchAxis.Head => "head",
        PatchAxis.DestPos => "dest_pos",
        PatchAxis.SrcPos => "src_pos",
        PatchAxis.Neuron => "neuron",
        _ => throw new ArgumentOutOfRangeException(nameof(axis), axis, "expected a PatchAxis."),
    };
}
