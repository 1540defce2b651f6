namespace Arrakis.Pretrained;

/// <summary>
/// What a <c>config.json</c> says about a checkpoint of one family: the model's architecture plus the optional
/// tensors some families switch on in their config (<c>attention_bias</c>, <c>use_qkv_bias</c>, <c>mlp_bias</c>).
/// </summary>
internal sealed record HfLayout(HookedTransformerConfig Cfg)
{
    /// <summary>q/k/v projections carry biases.</summary>
    public bool QkvBias { get; init; }

    /// <summary>The attention output projection carries a bias.</summary>
    public bool OutBias { get; init; }

    /// <summary>The MLP projections carry biases.</summary>
    public bool MlpBias { get; init; }
}
