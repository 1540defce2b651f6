namespace Arrakis;

/// <summary>How an earlier head's output can feed a later head (A Mathematical Framework for Transformer Circuits).</summary>
public enum CompositionKind
{
    /// <summary>Q-composition: the writer's output moves the reader's queries (W_OV^writer · W_QK^reader).</summary>
    Q,

    /// <summary>K-composition: the writer's output moves the reader's keys (W_OV^writer · (W_QK^reader)ᵀ).</summary>
    K,

    /// <summary>V-composition: the writer's output moves the reader's values (W_OV^writer · W_OV^reader).</summary>
    V,
}
