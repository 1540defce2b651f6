using System.Globalization;
using System.Text;

namespace Arrakis.Training;

/// <summary>A task that can describe, in markdown, the circuits it finds in a trained model (for the model card).</summary>
public interface ICircuitReport
{
    /// <summary>Markdown describing the mechanisms measured in <paramref name="model"/> (heads, scores, ablations).</summary>
    string DescribeCircuits(HookedTransformer model);
}

/// <summary>Writes a model card (<c>README.md</c>) from what a training run measured.</summary>
public static class ModelCard
{
    /// <summary>The model card's file name.</summary>
    public const string FileName = "README.md";

    /// <summary>Writes <c>README.md</c> into <paramref name="directory"/> and returns its path.</summary>
    public static string Write(string directory, HookedTransformer model, ITrainingTask task, TrainerState state)
    {
        string path = Path.Combine(directory, FileName);
        File.WriteAllText(path, Render(model, task, state));
        return path;
    }

    /// <summary>The model card's markdown.</summary>
    public static string Render(HookedTransformer model, ITrainingTask task, TrainerState state)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(task);
        ArgumentNullException.ThrowIfNull(state);
        var c = model.Cfg;
        var o = state.Options;
        var inv = CultureInfo.InvariantCulture;
        long parameters = model.parameters().Sum(p => p.numel());
        var sb = new StringBuilder();
        sb.AppendLine(inv, $"# {c.ModelName}");
        sb.AppendLine();
        sb.AppendLine(inv, $"Trained by `arrakis train --task {task.Name}` on the synthetic `{task.Name}` task (no downloaded data).");
        sb.AppendLine();
        sb.AppendLine("## Architecture");
        sb.AppendLine();
        sb.AppendLine("| field | value |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(inv, $"| layers | {c.NLayers} |");
        sb.AppendLine(inv, $"| d_model | {c.DModel} |");
        sb.AppendLine(inv, $"| heads × d_head | {c.NHeads} × {c.DHead} |");
        sb.AppendLine(inv, $"| MLP | {(c.AttnOnly ? "none (attention-only)" : $"d_mlp {c.DMlp}, {TlNames.ActName(c.ActFn)}")} |");
        sb.AppendLine(inv, $"| normalization | {TlNames.NormName(c.Normalization) ?? "none"} |");
        sb.AppendLine(inv, $"| positions | {TlNames.PosName(c.PositionalEmbedding)} (n_ctx {c.NCtx}) |");
        sb.AppendLine(inv, $"| vocabulary | {c.DVocab} word-level tokens |");
        sb.AppendLine(inv, $"| embeddings | {(c.TiedEmbeddings ? "tied" : "untied")} |");
        sb.AppendLine(inv, $"| parameters | {parameters:N0} |");
        sb.AppendLine();
        sb.AppendLine("## Training");
        sb.AppendLine();
        sb.AppendLine("| field | value |");
        sb.AppendLine("|---|---|");
        sb.AppendLine(inv, $"| steps | {state.Step} |");
        sb.AppendLine(inv, $"| seed | {o.Seed} |");
        sb.AppendLine(inv, $"| batch | {o.BatchSize} sequences × {task.SequenceLength} tokens |");
        sb.AppendLine(inv, $"| optimiser | AdamW β=({o.Beta1}, {o.Beta2}), weight decay {o.WeightDecay} on W_* only, grad clip {o.GradClip} |");
        sb.AppendLine(inv, $"| schedule | peak lr {o.LearningRate}, {o.WarmupSteps} warm-up steps, cosine to ×{o.MinLearningRateRatio} |");
        sb.AppendLine(inv, $"| tokens seen | {state.TokensSeen:N0} |");
        sb.AppendLine(inv, $"| training time | {state.ElapsedSeconds:F0} s on {Environment.ProcessorCount} cores ({state.Threads} libtorch threads), measured |");
        var last = state.History.LastOrDefault();
        if (last is not null)
        {
            sb.AppendLine(inv, $"| final training loss | {last.Loss:F4} (mean of the last logged steps) |");
            if (last.EvalLoss is { } e)
                sb.AppendLine(inv, $"| final held-out loss | {e:F4} |");
        }
        sb.AppendLine();
        sb.AppendLine("Reproduce (accuracy, not bit-identical weights, is what the card promises across machines):");
        sb.AppendLine();
        sb.AppendLine(inv, $"    arrakis train --task {task.Name} --out out/{c.ModelName} --steps {state.Step} --seed {o.Seed}{Overrides(task, model, o)}");
        sb.AppendLine();
        if (state.Metrics is { Count: > 0 } metrics)
        {
            sb.AppendLine("## Task metrics (after training)");
            sb.AppendLine();
            sb.AppendLine("| metric | value |");
            sb.AppendLine("|---|---|");
            foreach (var (k, v) in metrics)
                sb.AppendLine(inv, $"| {k} | {v:F4} |");
            sb.AppendLine();
        }
        var evals = state.History.Where(h => h.EvalLoss is not null).ToList();
        if (evals.Count > 0)
        {
            sb.AppendLine("## Held-out loss during training");
            sb.AppendLine();
            sb.AppendLine("| step | train loss | held-out loss | elapsed s |");
            sb.AppendLine("|---|---|---|---|");
            foreach (var h in evals)
                sb.AppendLine(inv, $"| {h.Step} | {h.Loss:F4} | {h.EvalLoss:F4} | {h.ElapsedSeconds:F0} |");
            sb.AppendLine();
        }
        if (task is ICircuitReport report)
        {
            sb.AppendLine("## Circuits found");
            sb.AppendLine();
            sb.AppendLine(report.DescribeCircuits(model).TrimEnd());
            sb.AppendLine();
        }
        return sb.ToString();
    }

    private static string Overrides(ITrainingTask task, HookedTransformer model, TrainingOptions o)
    {
        var d = task.DefaultModelConfig;
        var c = model.Cfg;
        var dt = task.DefaultOptions;
        var parts = new List<string>();
        void Add(bool differs, string key, object value)
        {
            if (differs)
                parts.Add(string.Create(CultureInfo.InvariantCulture, $" --config {key}={value}"));
        }
        Add(c.NLayers != d.NLayers, "n_layers", c.NLayers);
        Add(c.DModel != d.DModel, "d_model", c.DModel);
        Add(c.NHeads != d.NHeads, "n_heads", c.NHeads);
        Add(c.DHead != d.DHead && c.DHead != c.DModel / c.NHeads, "d_head", c.DHead);
        Add(!c.AttnOnly && c.DMlp != d.DMlp && c.DMlp != 4 * c.DModel, "d_mlp", c.DMlp);
        Add(c.NCtx != d.NCtx, "n_ctx", c.NCtx);
        Add(c.Normalization != d.Normalization, "normalization_type", TlNames.NormName(c.Normalization) ?? "null");
        Add(c.ModelName != d.ModelName, "model_name", c.ModelName);
        Add(o.BatchSize != dt.BatchSize, "batch_size", o.BatchSize);
        Add(o.LearningRate != dt.LearningRate, "lr", o.LearningRate);
        Add(o.WarmupSteps != dt.WarmupSteps, "warmup_steps", o.WarmupSteps);
        Add(o.WeightDecay != dt.WeightDecay, "weight_decay", o.WeightDecay);
        Add(o.MinLearningRateRatio != dt.MinLearningRateRatio, "min_lr_ratio", o.MinLearningRateRatio);
        Add(o.GradClip != dt.GradClip, "grad_clip", o.GradClip);
        Add(o.Beta2 != dt.Beta2, "beta2", o.Beta2);
        return string.Concat(parts);
    }
}
