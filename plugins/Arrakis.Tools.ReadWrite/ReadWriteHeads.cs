using TorchSharp;
using static TorchSharp.torch;

[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]

namespace Arrakis.Tools.ReadWrite;

/// <summary>
/// The built-in <c>readwrite</c> tool (see <see cref="IReadWriteHeads"/> and docs/tools/readwrite.md). Thin: circuits are
/// <see cref="FullCircuits"/>, the SVD interpreter <see cref="Arrakis.SvdInterpreter"/>.
/// </summary>
public sealed class ReadWriteHeads : IReadWriteHeads, IModelTool
{
    private readonly HookedTransformer? _model;

    /// <summary>The unbound prototype the plugin host creates; bind it with <see cref="WithModel"/>.</summary>
    public ReadWriteHeads() { }

    /// <summary>The tool bound to <paramref name="model"/>.</summary>
    public ReadWriteHeads(HookedTransformer model) => _model = model ?? throw new ArgumentNullException(nameof(model));

    /// <inheritdoc />
    public object WithModel(HookedTransformer model) => new ReadWriteHeads(model);

    private HookedTransformer Model => _model ?? throw ToolArguments.NotBound("readwrite");

    /// <inheritdoc />
    public OvCircuitResult OvCircuit(HeadIndex head, long sourceToken, int topK = 10)
    {
        var model = Model;
        ToolArguments.Head(head, model.Cfg, nameof(head));
        ToolArguments.Token(sourceToken, model.Cfg, nameof(sourceToken));
        ToolArguments.AtLeastOne(topK, nameof(topK));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var ov = FullCircuits.FullOV(model, head);
        var row = ov.A[sourceToken].matmul(ov.B);   // [d_vocab]
        return new OvCircuitResult(head, sourceToken, Top(row, topK), FullCircuits.CopyingScore(model, head));
    }

    /// <inheritdoc />
    public CopyingScoresResult CopyingScores()
    {
        var model = Model;
        using var noGrad = no_grad();
        var heads = Enumerable.Range(0, model.Cfg.NLayers).SelectMany(l => Enumerable.Range(0, model.Cfg.NHeads).Select(h => new HeadIndex(l, h)));
        return new CopyingScoresResult(heads.Select(h => new HeadScore(h, FullCircuits.CopyingScore(model, h))).ToList());
    }

    /// <inheritdoc />
    public QkCircuitResult QkCircuit(HeadIndex head, long queryToken, int topK = 10)
    {
        var model = Model;
        ToolArguments.Head(head, model.Cfg, nameof(head));
        ToolArguments.Token(queryToken, model.Cfg, nameof(queryToken));
        ToolArguments.AtLeastOne(topK, nameof(topK));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var qk = FullCircuits.FullQK(model, head);
        return new QkCircuitResult(head, queryToken, Top(qk.A[queryToken].matmul(qk.B), topK));
    }

    /// <inheritdoc />
    public PositionalQkResult PositionalQk(HeadIndex head)
    {
        var model = Model;
        ToolArguments.Head(head, model.Cfg, nameof(head));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var qk = FullCircuits.PositionalQK(model, head);
        var scores = qk.AB;                                                       // [n_ctx, n_ctx]
        var causal = ones(scores.shape[0], scores.shape[1], dtype: @bool, device: scores.device).tril();
        var preferred = scores.masked_fill(causal.logical_not(), double.NegativeInfinity).argmax(-1).cpu().data<long>().Select(k => (int)k).ToList();
        double share = preferred.Skip(1).Select((k, i) => k == i ? 1.0 : 0.0).Average();   // query i + 1 prefers key i
        return new PositionalQkResult(head, preferred, share);
    }

    /// <inheritdoc />
    public SvdInterpreterResult SvdInterpreter(SvdTarget target, int layer, int head = 0, int vectors = 5, int topK = 10) =>
        new(target, layer, target == SvdTarget.MlpOut ? null : head, Arrakis.SvdInterpreter.Interpret(Model, target, layer, head, vectors, topK));

    private static List<TokenScore> Top(Tensor row, int topK)
    {
        var (values, ids) = row.topk((int)Math.Min(topK, row.shape[0]));
        float[] v = values.cpu().data<float>().ToArray();
        long[] t = ids.cpu().data<long>().ToArray();
        return t.Select((id, i) => new TokenScore(id, v[i])).ToList();
    }
}
