using System.Globalization;

namespace Arrakis.Training;

/// <summary>
/// Applies <c>key=value</c> overrides (as <c>arrakis train --config</c> takes them) to a model configuration and training
/// options. Keys are the snake_case names of <see cref="ModelKeys"/> (TransformerLens names) and <see cref="TrainingKeys"/>.
/// </summary>
/// <remarks>
/// Changing <c>d_model</c> or <c>n_heads</c> without <c>d_head</c> sets d_head = d_model / n_heads; changing <c>d_model</c>
/// without <c>d_mlp</c> sets d_mlp = 4·d_model (for models with MLPs).
/// </remarks>
public static class TrainingOverrides
{
    /// <summary>Model keys.</summary>
    public static readonly IReadOnlyList<string> ModelKeys =
        ["n_layers", "d_model", "n_heads", "d_head", "d_mlp", "n_ctx", "act_fn", "normalization_type", "positional_embedding_type", "attn_only", "tied_embeddings", "model_name"];

    /// <summary>Training keys.</summary>
    public static readonly IReadOnlyList<string> TrainingKeys =
        ["steps", "batch_size", "lr", "min_lr_ratio", "warmup_steps", "weight_decay", "beta1", "beta2", "adam_eps", "grad_clip", "seed", "eval_every", "eval_batches", "checkpoint_every"];

    /// <summary>Applies <paramref name="overrides"/> (each <c>key=value</c>) in order.</summary>
    /// <exception cref="ArgumentException">A malformed pair, an unknown key (the message lists the known ones) or a bad value.</exception>
    public static (HookedTransformerConfig Model, TrainingOptions Options) Apply(HookedTransformerConfig model, TrainingOptions options, IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        bool setHead = false, setMlp = false, changedWidth = false, changedHeads = false;
        foreach (string pair in overrides ?? [])
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0)
                throw new ArgumentException($"'{pair}' is not key=value.", nameof(overrides));
            string key = pair[..eq].Trim().ToLowerInvariant().Replace('-', '_');
            string value = pair[(eq + 1)..].Trim();
            try
            {
                switch (key)
                {
                    case "n_layers": model = model with { NLayers = Int(value) }; break;
                    case "d_model": model = model with { DModel = Int(value) }; changedWidth = true; break;
                    case "n_heads": model = model with { NHeads = Int(value) }; changedHeads = true; break;
                    case "d_head": model = model with { DHead = Int(value) }; setHead = true; break;
                    case "d_mlp": model = model with { DMlp = Int(value) }; setMlp = true; break;
                    case "n_ctx": model = model with { NCtx = Int(value) }; break;
                    case "act_fn": model = model with { ActFn = TlNames.ParseAct(value) }; break;
                    case "normalization_type": model = model with { Normalization = TlNames.ParseNorm(value is "null" or "" ? null : value) }; break;
                    case "positional_embedding_type": model = model with { PositionalEmbedding = TlNames.ParsePos(value) }; break;
                    case "attn_only": model = model with { AttnOnly = Bool(value) }; break;
                    case "tied_embeddings": model = model with { TiedEmbeddings = Bool(value) }; break;
                    case "model_name": model = model with { ModelName = value }; break;
                    case "steps": options = options with { Steps = Int(value) }; break;
                    case "batch_size": options = options with { BatchSize = Int(value) }; break;
                    case "lr": options = options with { LearningRate = Dbl(value) }; break;
                    case "min_lr_ratio": options = options with { MinLearningRateRatio = Dbl(value) }; break;
                    case "warmup_steps": options = options with { WarmupSteps = Int(value) }; break;
                    case "weight_decay": options = options with { WeightDecay = Dbl(value) }; break;
                    case "beta1": options = options with { Beta1 = Dbl(value) }; break;
                    case "beta2": options = options with { Beta2 = Dbl(value) }; break;
                    case "adam_eps": options = options with { AdamEps = Dbl(value) }; break;
                    case "grad_clip": options = options with { GradClip = Dbl(value) }; break;
                    case "seed": options = options with { Seed = Int(value) }; break;
                    case "eval_every": options = options with { EvalEvery = Int(value) }; break;
                    case "eval_batches": options = options with { EvalBatches = Int(value) }; break;
                    case "checkpoint_every": options = options with { CheckpointEvery = Int(value) }; break;
                    default:
                        throw new ArgumentException(
                            $"Unknown key '{key}'. Model keys: {string.Join(", ", ModelKeys)}. Training keys: {string.Join(", ", TrainingKeys)}.", nameof(overrides));
                }
            }
            catch (FormatException ex)
            {
                throw new ArgumentException($"{key}: '{value}' is not valid ({ex.Message}).", nameof(overrides), ex);
            }
        }
        if ((changedWidth || changedHeads) && !setHead)
            model = model with { DHead = model.DModel / Math.Max(1, model.NHeads) };
        if (changedWidth && !setMlp && !model.AttnOnly)
            model = model with { DMlp = 4 * model.DModel };
        return (model.Validate(), options.Validate());
    }

    private static int Int(string s) => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture);

    private static double Dbl(string s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture);

    private static bool Bool(string s) => s.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        _ => throw new FormatException("expected true or false"),
    };
}
