using Arrakis.Facts;
using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.Causal;

/// <summary>
/// The built-in <c>causal</c> tool (see <see cref="ICausalTracer"/> and docs/tools/causal.md). Thin: grids and
/// restorations are <see cref="CausalTracing"/>, interventions <see cref="NeuronIntervention"/>.
/// </summary>
public sealed class CausalTracer : ICausalTracer, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public CausalTracer() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public CausalTracer(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new CausalTracer(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("causal");

    /// <inheritdoc />
    public CausalTraceResult TraceTokenProbability(Tensor inputIds, long targetIdx, int subjectStart, int subjectEnd, CausalTraceOptions? options = null)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        var trace = CausalTracing.Trace(model, tokens, subjectStart, subjectEnd, ToolArguments.Token(targetIdx, model.Cfg, nameof(targetIdx)), options);
        return new CausalTraceResult(trace, StrTokens(model, trace.Tokens));
    }

    /// <inheritdoc />
    public CausalTraceResult TraceFact(string prompt, string subject, string target, CausalTraceOptions? options = null)
    {
        var model = Model;
        ArgumentException.ThrowIfNullOrEmpty(target);
        var found = SubjectPrompt.Find(model, prompt, subject);
        using (found.Tokens)
            return TraceTokenProbability(found.Tokens, model.ToSingleToken(target), found.Start, found.End, options);
    }

    /// <inheritdoc />
    public RestorationResult Restore(Tensor inputIds, long targetIdx, int subjectStart, int subjectEnd, IReadOnlyList<Restoration> restorations,
        CausalTraceOptions? options = null)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        var (clean, corrupted, restored) = CausalTracing.Restore(model, tokens, subjectStart, subjectEnd,
            ToolArguments.Token(targetIdx, model.Cfg, nameof(targetIdx)), restorations, options);
        return new RestorationResult(restorations.ToList(), clean, corrupted, restored);
    }

    /// <inheritdoc />
    public NeuronInterventionEffect InterveneOnNeuron(Tensor inputIds, int layerIdx, IReadOnlyList<int> neuronIdx, IReadOnlyList<long> targetTokens,
        double scale = 0, double? setTo = null, IReadOnlyList<int>? positions = null, int readPosition = -1)
    {
        var model = Model;
        var tokens = ToolArguments.Tokens(inputIds, model.Cfg);
        ToolArguments.Layer(layerIdx, model.Cfg);
        return setTo is { } value
            ? NeuronIntervention.Run(model, tokens, layerIdx, neuronIdx, NeuronEdit.Set, value, targetTokens, positions, readPosition)
            : NeuronIntervention.Run(model, tokens, layerIdx, neuronIdx, NeuronEdit.Scale, scale, targetTokens, positions, readPosition);
    }

    private static IReadOnlyList<string> StrTokens(HookedTransformer model, IReadOnlyList<long> ids) =>
        model.Tokenizer is null ? ids.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList() : model.ToStrTokens(ids);
}
