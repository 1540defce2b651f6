using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Attention;

/// <summary>
/// The built-in <c>attention</c> tool (see <see cref="IAttentionTools"/> and docs/tools/attention.md). Thin: patterns are
/// the cache's <c>hook_pattern</c>, summaries <see cref="AttentionSummary"/>, scores <see cref="HeadDetector"/>, ablations
/// <see cref="HeadAblation"/>.
/// </summary>
public sealed class AttentionTools : IAttentionTools, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public AttentionTools() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public AttentionTools(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new AttentionTools(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("attention");

    /// <inheritdoc />
    public AttentionPatternsResult AttentionPatterns(Tensor inputIds, int batchIndex = 0)
    {
        var model = Model;
        var cfg = model.Cfg;
        var tokens = AtLeastTwoPositions(ToolArguments.Tokens(inputIds, cfg));
        int b = ToolArguments.BatchIndex(batchIndex, tokens.shape[0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var sequence = tokens[b].unsqueeze(0).to(model.Device);   // [1, pos]
        var names = Enumerable.Range(0, cfg.NLayers).Select(l => $"blocks.{l}.attn.hook_pattern").ToList();
        var (_, cache) = model.RunWithCache(sequence, names);
        using (cache)
        {
            var patterns = stack(names.Select(n => cache[n][0]).ToArray()).to(float32).cpu();   // [layer, head, q, k]
            double[] entropy = Doubles(AttentionSummary.Entropy(patterns)), bos = Doubles(AttentionSummary.ToFirstPosition(patterns)),
                self = Doubles(AttentionSummary.ToSelf(patterns)), previous = Doubles(AttentionSummary.ToPrevious(patterns));
            var heads = Enumerable.Range(0, cfg.NLayers * cfg.NHeads)
                .Select(i => new HeadAttentionSummary(new HeadIndex(i / cfg.NHeads, i % cfg.NHeads), entropy[i], bos[i], self[i], previous[i])).ToList();
            long[] ids = sequence[0].cpu().data<long>().ToArray();
            return new AttentionPatternsResult(b, ids, patterns.DetachFromDisposeScope(), heads);
        }
    }

    /// <inheritdoc />
    public TopAttendedIdsResult TopAttendedIds(Tensor inputIds, int layerIdx, int headIdx, int numTokens = 2, int batchIndex = 0)
    {
        var cfg = Model.Cfg;
        var head = ToolArguments.Head(new HeadIndex(ToolArguments.Layer(layerIdx, cfg), headIdx), cfg, nameof(headIdx));
        ToolArguments.AtLeastOne(numTokens, nameof(numTokens));
        using var patterns = AttentionPatterns(inputIds, batchIndex);
        return patterns.TopAttended(head, numTokens);
    }

    /// <inheritdoc />
    public HeadDetectionResult DetectHead(Tensor inputIds, HeadName headName, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null)
    {
        var model = Model;
        var tokens = AtLeastTwoPositions(ToolArguments.Tokens(inputIds, model.Cfg));
        if (!Enum.IsDefined(headName))
            throw new ArgumentOutOfRangeException(nameof(headName), headName, $"headName is {headName}; expected one of {string.Join(", ", Enum.GetNames<HeadName>())}.");
        using var scores = HeadDetector.Detect(model, tokens, headName, excludeBos, excludeCurrentToken, errorMeasure, matchedQueriesOnly, heads);
        return Result(headName.ToString(), scores, errorMeasure, excludeBos, excludeCurrentToken, matchedQueriesOnly);
    }

    /// <inheritdoc />
    public HeadDetectionResult DetectHead(Tensor inputIds, Tensor detectionPattern, bool excludeBos = false, bool excludeCurrentToken = false,
        ErrorMeasure errorMeasure = ErrorMeasure.Mul, bool matchedQueriesOnly = false, IReadOnlyCollection<HeadIndex>? heads = null)
    {
        var model = Model;
        var tokens = AtLeastTwoPositions(ToolArguments.Tokens(inputIds, model.Cfg));
        using var scores = HeadDetector.Detect(model, tokens, detectionPattern, excludeBos, excludeCurrentToken, errorMeasure, matchedQueriesOnly, heads);
        return Result("custom", scores, errorMeasure, excludeBos, excludeCurrentToken, matchedQueriesOnly);
    }

    /// <inheritdoc />
    public HeadAblationResult AblateHeads(Tensor inputIds, AblationKind kind = AblationKind.Zero, IReadOnlyList<HeadIndex>? heads = null,
        Func<Tensor, Tensor, Tensor>? metric = null, Tensor? resampleIds = null)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        var resample = resampleIds is null ? null : ToolArguments.Tokens(resampleIds, model.Cfg, nameof(resampleIds));
        if (kind == AblationKind.Resample && resample is null && tokens.shape[0] < 2)
            throw new ArgumentException("inputIds holds one sequence; resampling takes each sequence's head output from the next sequence of the batch, " +
                "so expected at least 2 sequences (or pass resampleIds).", nameof(inputIds));
        foreach (var head in heads ?? [])
            ToolArguments.Head(head, model.Cfg, nameof(heads));
        var scores = HeadAblation.Run(model, tokens, heads, kind, metric, resample);
        return new HeadAblationResult(kind, scores.Count > 0 ? scores[0].Clean : double.NaN, scores);
    }

    private static HeadDetectionResult Result(string pattern, Tensor scores, ErrorMeasure measure, bool excludeBos, bool excludeCurrent, bool matched)
    {
        long heads = scores.shape[1];
        double[] values = scores.data<double>().ToArray();
        var list = values.Select((v, i) => new HeadScore(new HeadIndex((int)(i / heads), (int)(i % heads)), v)).ToList();
        return new HeadDetectionResult(pattern, measure, excludeBos, excludeCurrent, matched, list);
    }

    private static Tensor AtLeastTwoPositions(Tensor tokens) => tokens.shape[1] >= 2 ? tokens
        : throw new ArgumentException($"inputIds has {tokens.shape[1]} position; attention tools compare query and key positions, so expected at least 2.", "inputIds");

    private static double[] Doubles(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).data<double>().ToArray();
}
