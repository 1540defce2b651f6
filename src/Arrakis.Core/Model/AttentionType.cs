namespace Arrakis;

/// <summary>Which keys a query may attend to (GPT-Neo alternates global and local layers).</summary>
public enum AttentionType
{
    /// <summary>Every earlier position (causal).</summary>
    Global,

    /// <summary>Only the last <see cref="HookedTransformerConfig.WindowSize"/> positions (causal sliding window).</summary>
    Local,
}
