using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Composer;

/// <summary>
/// The built-in <c>composer</c> tool (see <see cref="IAttentionComposer"/> and docs/tools/composer.md). Thin: scores are
/// <see cref="CompositionScores"/> over the factored circuits <see cref="HookedTransformer.OV"/> and
/// <see cref="HookedTransformer.QK"/>; path patching is <see cref="PathPatching"/>.
/// </summary>
public sealed class AttentionComposer : IAttentionComposer, IModelTool
{
    private const string MeanAblation = "mean-ablation", CorruptedInput = "corrupted-input";

    /// <summary>Random baselines by (d_model, d_head): the same for every head of a model, and every call.</summary>
    private static readonly ConcurrentDictionary<(int DModel, int DHead), double> Baselines = new();

    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public AttentionComposer() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public AttentionComposer(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new AttentionComposer(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("composer");

    /// <summary>
    /// score(L, R) = ‖L·R‖_F / (‖L‖_F‖R‖_F), L = W_OV¹; R = W_QK² (Q), W_QK²ᵀ (K), W_OV² (V). Merged head (Arrakis's
    /// blend): W_{Q,K,V} = (W¹ + W²)/2, W_O = α·W_O¹ + (1−α)·W_O².
    /// </summary>
    public HeadCompositionResult HeadComposition(HeadIndex head1, HeadIndex head2, double alpha = 0.5)
    {
        var model = Model;
        var cfg = model.Cfg;
        ToolArguments.ComposablePair(head1, head2, cfg);
        if (!(alpha is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, $"alpha is {alpha}; expected a blend weight in [0, 1].");

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var ov = model.OV;                 // W_V·W_O  [L, H, d_model, d_model], rank d_head
        using var qk = model.QK;                 // W_Q·W_Kᵀ [L, H, d_model, d_model], rank d_head
        using var writer = Head(ov, head1);
        using var readerQK = Head(qk, head2);
        using var readerQKT = readerQK.T;
        using var readerOV = Head(ov, head2);
        double q = Score(writer, readerQK), k = Score(writer, readerQKT), v = Score(writer, readerOV);

        // Arrakis's "merged head": a blend of the two heads' weights, not a composition measure.
        Tensor Mean(Tensor w) => ((w[head1.Layer, head1.Head] + w[head2.Layer, head2.Head]) / 2).MoveToOuterDisposeScope();
        var wO = model.W_O;
        var merged = new MergedHeadWeights(alpha, Mean(model.W_Q), Mean(model.W_KExpanded), Mean(model.W_VExpanded),
            (alpha * wO[head1.Layer, head1.Head] + (1 - alpha) * wO[head2.Layer, head2.Head]).MoveToOuterDisposeScope());
        return new HeadCompositionResult(head1, head2, q, k, v, RandomBaseline(cfg), merged);
    }

    /// <summary>Δ = (z̄ − z)·W_O[head1] added to head2's chosen inputs only; fraction = (clean − patched)/(clean − corrupted).</summary>
    public AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, HeadIndex head2, PathInput through = PathInput.All,
        Func<Tensor, Tensor, Tensor>? metric = null)
    {
        var model = Model;
        ToolArguments.ComposablePair(head1, head2, model.Cfg);
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        return Report(PathPatching.Run(model, tokens, head1, head2, through, corrupted: null, metric), MeanAblation);
    }

    /// <summary>As above with z′ the sender's output on <paramref name="corruptedIds"/>.</summary>
    public AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, HeadIndex head2, Tensor corruptedIds,
        Func<Tensor, Tensor, Tensor>? metric = null, PathInput through = PathInput.All)
    {
        var model = Model;
        ToolArguments.ComposablePair(head1, head2, model.Cfg);
        var (tokens, corrupted) = CleanAndCorrupted(inputIds, corruptedIds, model.Cfg);
        return Report(PathPatching.Run(model, tokens, head1, head2, through, corrupted, metric), CorruptedInput);
    }

    /// <summary>Δ = (z̄ − z)·W_O[head1] added to the chosen inputs of every receiver at once.</summary>
    public AttentionPathPatchingResult AttentionPathPatching(Tensor inputIds, HeadIndex head1, IReadOnlyList<HeadIndex> receivers, PathInput through = PathInput.All,
        Func<Tensor, Tensor, Tensor>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(receivers);
        var model = Model;
        for (int i = 0; i < receivers.Count; i++)
            ToolArguments.ComposablePair(head1, receivers[i], model.Cfg, nameof(head1), $"receivers[{i}]");
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        return Report(PathPatching.RunToReceivers(model, tokens, head1, receivers, through, corrupted: null, metric), MeanAblation);
    }

    /// <summary>Many pairs, up to 16 patched variants per forward pass.</summary>
    public AttentionPathPatchingTable AttentionPathPatching(Tensor inputIds, IReadOnlyList<(HeadIndex Sender, HeadIndex Receiver)> pairs,
        PathInput through = PathInput.All, Tensor? corruptedIds = null, Func<Tensor, Tensor, Tensor>? metric = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var model = Model;
        var cfg = model.Cfg;
        if (pairs.Count == 0)
            pairs = ComposablePairs(cfg).ToList();
        for (int i = 0; i < pairs.Count; i++)
            ToolArguments.ComposablePair(pairs[i].Sender, pairs[i].Receiver, cfg, $"pairs[{i}].Sender", $"pairs[{i}].Receiver");
        var (tokens, corrupted) = corruptedIds is null ? (ToolArguments.Tokens(inputIds, cfg), null) : CleanAndCorrupted(inputIds, corruptedIds, cfg);
        var results = PathPatching.Run(model, tokens, pairs, through, corrupted, metric);
        return new AttentionPathPatchingTable(results.Select(r => Report(r, corrupted is null ? MeanAblation : CorruptedInput)).ToList());
    }

    /// <summary>score[l₁, h₁, l₂, h₂] for every l₁ &lt; l₂, largest first.</summary>
    public CompositionScoresResult AllCompositionScores(CompositionKind kind)
    {
        var model = Model;
        var cfg = model.Cfg;
        if (!Enum.IsDefined(kind))
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "expected CompositionKind.Q, K or V.");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var scores = model.AllCompositionScores(kind).nan_to_num(0).cpu().to_type(ScalarType.Float64);   // [L, H, L, H]
        double[] flat = scores.data<double>().ToArray();
        int h = cfg.NHeads, n = cfg.NLayers;
        var pairs = ComposablePairs(cfg)
            .Select(p => new CompositionPair(p.Sender, p.Receiver, flat[((p.Sender.Layer * h + p.Sender.Head) * n + p.Receiver.Layer) * h + p.Receiver.Head]))
            .OrderByDescending(p => p.Score)
            .ToList();
        return new CompositionScoresResult(kind, RandomBaseline(cfg), pairs);
    }

    /// <summary>Every (writer, reader) with the reader in a later layer, in (writer, reader) order.</summary>
    private static IEnumerable<(HeadIndex Sender, HeadIndex Receiver)> ComposablePairs(HookedTransformerConfig cfg) =>
        from l1 in Enumerable.Range(0, cfg.NLayers)
        from h1 in Enumerable.Range(0, cfg.NHeads)
        from l2 in Enumerable.Range(l1 + 1, cfg.NLayers - l1 - 1)
        from h2 in Enumerable.Range(0, cfg.NHeads)
        select (new HeadIndex(l1, h1), new HeadIndex(l2, h2));

    /// <summary>One head's circuit from the [L, H, …] factored circuits.</summary>
    private static FactoredMatrix Head(FactoredMatrix all, HeadIndex head)
    {
        using var layer = all[head.Layer];
        return layer[head.Head];
    }

    /// <summary>The composition score; a circuit that is exactly zero composes with nothing (0, not 0/0).</summary>
    private static double Score(FactoredMatrix left, FactoredMatrix right)
    {
        double score = CompositionScores.Score(left, right).item<float>();
        return double.IsNaN(score) ? 0 : score;
    }

    private static double RandomBaseline(HookedTransformerConfig cfg) =>
        Baselines.GetOrAdd((cfg.DModel, cfg.DHead), key => CompositionScores.RandomBaseline(key.DModel, key.DHead));

    private static (Tensor Clean, Tensor Corrupted) CleanAndCorrupted(Tensor inputIds, Tensor corruptedIds, HookedTransformerConfig cfg)
    {
        var clean = ToolArguments.Tokens(inputIds, cfg);
        var corrupted = ToolArguments.Tokens(corruptedIds, cfg, nameof(corruptedIds));
        if (!corrupted.shape.SequenceEqual(clean.shape))
            throw new ArgumentException(
                $"corruptedIds has shape [{string.Join(", ", corrupted.shape)}]; it must match inputIds [{string.Join(", ", clean.shape)}] (a corrupted version of each clean sequence).",
                nameof(corruptedIds));
        return (clean, corrupted);
    }

    private static AttentionPathPatchingResult Report(PathPatchingResult r, string corruption) =>
        new(r.Sender, r.Receivers, r.Through, corruption, r.Clean, r.Corrupted, r.Patched);
}
