namespace Arrakis.Experiments;

/// <summary>
/// The trained models the experiments run against, loaded once (<c>HookedTransformer.FromPretrained</c>, shipped inside
/// Arrakis.Core; see docs/model-zoo.md). Tests that use them share the <see cref="ShippedModelsCollection"/>, so a
/// model is never used by two tests at once (experiments attach hooks to it).
/// </summary>
public sealed class ShippedModels : IDisposable
{
    /// <summary>2 layers, attention only: previous-token head L0H2, induction heads L1H0–L1H3 (L1H2 the strongest).</summary>
    public HookedTransformer AttnOnly2L { get; } = HookedTransformer.FromPretrained("attn-only-2l");

    /// <summary>1 layer, attention only, same data: cannot form induction heads (the control).</summary>
    public HookedTransformer AttnOnly1L { get; } = HookedTransformer.FromPretrained("attn-only-1l");

    /// <summary>4-layer GPT-2-style language model with MLPs and a word-level tokenizer.</summary>
    public HookedTransformer Gpt2MiniLanguage { get; } = HookedTransformer.FromPretrained("gpt2-mini-language");

    public void Dispose()
    {
        AttnOnly2L.Dispose();
        AttnOnly1L.Dispose();
        Gpt2MiniLanguage.Dispose();
    }
}

/// <summary>The tests that run on <see cref="ShippedModels"/>; xunit runs them one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ShippedModelsCollection : ICollectionFixture<ShippedModels>
{
    public const string Name = "shipped models";
}
