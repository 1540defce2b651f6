namespace Arrakis.Facts;

/// <summary>Options of <see cref="CausalTracing"/> (ROME's <c>calculate_hidden_flow</c> arguments).</summary>
public sealed record CausalTraceOptions
{
    /// <summary>The options used when none are given.</summary>
    public static CausalTraceOptions Default { get; } = new();

    /// <summary>Noise samples averaged per restoration (ROME <c>samples</c>, default 10); each is one batch row.</summary>
    public int Samples { get; init; } = 10;

    /// <summary>Seed of the noise (a CPU generator, so a seed gives the same noise on every device).</summary>
    public long Seed { get; init; }

    /// <summary>The noise's standard deviation σ; <c>null</c>: <see cref="NoiseMultiplier"/> × the standard deviation of the
    /// token embeddings of <see cref="EmbeddingSample"/> (ROME: 3 × the std of the subjects' embeddings).</summary>
    public double? NoiseStd { get; init; }

    /// <summary>σ in units of the embeddings' standard deviation when <see cref="NoiseStd"/> is not given (default 3, ROME's).</summary>
    public double NoiseMultiplier { get; init; } = 3;

    /// <summary>Token ids whose embedding rows W_E[t] give the standard deviation; <c>null</c>: the whole vocabulary.</summary>
    public IReadOnlyList<long>? EmbeddingSample { get; init; }

    /// <summary>Layers restored together for MLP and attention states: layers [l − ⌊w/2⌋, l + ⌈w/2⌉) clipped to the model
    /// (ROME <c>window</c>, which is 10 for GPT-2 XL; default 1). Residual states always restore one layer, as in ROME.</summary>
    public int Window { get; init; } = 1;

    /// <summary>The state types to trace (default all three).</summary>
    public IReadOnlyList<TraceState> States { get; init; } = [TraceState.Residual, TraceState.Mlp, TraceState.Attention];

    /// <summary>Positions (columns) to trace; <c>null</c>: every position.</summary>
    public IReadOnlyList<int>? Positions { get; init; }

    /// <summary>Also compute the natural direct effect of each state (a second grid of the same size; see <see cref="CausalTraceGrid.Direct"/>).</summary>
    public bool DirectEffect { get; init; } = true;

    /// <summary>At most this many restorations share one forward pass (each takes <see cref="Samples"/> batch rows);
    /// <c>null</c>: as many as <see cref="MemoryBudgetBytes"/> allows. 1 is the one-restoration-per-forward loop.</summary>
    public int? MaxRestorationsPerPass { get; init; }

    /// <summary>Estimated memory one forward pass may use (see <see cref="ActivationPatching.EstimatedBytesPerSequence"/>); default 256 MiB.</summary>
    public long MemoryBudgetBytes { get; init; } = 256L << 20;
}
