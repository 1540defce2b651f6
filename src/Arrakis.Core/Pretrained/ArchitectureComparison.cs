using System.Globalization;

namespace Arrakis.Pretrained;

/// <summary>
/// Compares what two configurations compute (not labels, device, dtype or initialisation): used to check that a
/// model can be written in a family's layout, by reading back the <c>config.json</c> that would be written.
/// </summary>
internal static class ArchitectureComparison
{
    /// <summary>One line per field that differs: <c>name: the model has X, the layout gives Y</c>.</summary>
    public static IReadOnlyList<string> Differences(HookedTransformerConfig model, HookedTransformerConfig layout)
    {
        var differences = new List<string>();
        void Check<T>(string name, T mine, T theirs)
        {
            if (!EqualityComparer<T>.Default.Equals(mine, theirs))
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{name}: the model has {mine}, the layout gives {theirs}"));
        }

        Check("n_layers", model.NLayers, layout.NLayers);
        Check("d_model", model.DModel, layout.DModel);
        Check("n_heads", model.NHeads, layout.NHeads);
        Check("d_head", model.DHead, layout.DHead);
        Check("n_key_value_heads", model.EffectiveKeyValueHeads, layout.EffectiveKeyValueHeads);
        Check("d_vocab", model.DVocab, layout.DVocab);
        Check("n_ctx", model.NCtx, layout.NCtx);
        Check("attn_only", model.AttnOnly, layout.AttnOnly);
        if (!model.AttnOnly && !layout.AttnOnly)
        {
            Check("d_mlp", model.DMlp, layout.DMlp);
            Check("act_fn", model.ActFn, layout.ActFn);
            Check("gated_mlp", model.GatedMlp, layout.GatedMlp);
            Check("parallel_attn_mlp", model.ParallelAttnMlp, layout.ParallelAttnMlp);
        }
        Check("normalization_type", model.Normalization, layout.Normalization);
        Check("eps", model.Eps, layout.Eps);
        Check("positional_embedding_type", model.PositionalEmbedding, layout.PositionalEmbedding);
        if (model.PositionalEmbedding == PositionalEmbeddingType.Rotary && layout.PositionalEmbedding == PositionalEmbeddingType.Rotary)
        {
            Check("rotary_dim", model.EffectiveRotaryDim, layout.EffectiveRotaryDim);
            Check("rotary_base", model.RotaryBase, layout.RotaryBase);
        }
        Check("attn_scale", model.EffectiveAttnScale, layout.EffectiveAttnScale);
        Check("embedding_scale", model.EmbeddingScale ?? 1.0, layout.EmbeddingScale ?? 1.0);
        Check("tied_embeddings", model.TiedEmbeddings, layout.TiedEmbeddings);
        string mineTypes = AttentionTypes(model), theirTypes = AttentionTypes(layout);
        Check("attention_types", mineTypes, theirTypes);
        if (mineTypes == theirTypes && mineTypes.Contains(nameof(AttentionType.Local), StringComparison.Ordinal))
            Check("window_size", model.WindowSize, layout.WindowSize);
        return differences;
    }

    private static string AttentionTypes(HookedTransformerConfig cfg) =>
        "[" + string.Join(", ", Enumerable.Range(0, cfg.NLayers).Select(cfg.AttentionTypeOf)) + "]";
}
