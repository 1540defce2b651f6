using Arrakis.Tests.Model;
using static TorchSharp.torch;

namespace Arrakis.Tools.Tests;

/// <summary>Every bad argument fails before any work, with an error naming the argument and its valid range.</summary>
[Collection(ToolsCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private readonly HookedTransformer _model = TestModels.Create("gpt2");   // 2 layers, 4 heads, d_vocab 61, n_ctx 24
    private readonly IResidualDecomposer _decomposer;
    private readonly ILogitAttributor _logit;
    private readonly IAttentionComposer _composer;
    private readonly Tensor _ids = TestModels.Tokens(2, 5);

    public BadInputTests(BuiltInTools tools)
    {
        _decomposer = tools.Decomposer(_model);
        _logit = tools.Logit(_model);
        _composer = tools.Composer(_model);
    }

    public void Dispose() => _model.Dispose();

    private static void OutOfRange(string argument, string range, Action call)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(call);
        Assert.Equal(argument, e.ParamName);
        Assert.Contains(range, e.Message);
    }

    private static void Invalid(string argument, string text, Action call)
    {
        var e = Assert.ThrowsAny<ArgumentException>(call);
        Assert.Equal(argument, e.ParamName);
        Assert.Contains(text, e.Message);
    }

    [Fact]
    public void LayersOutOfRange()
    {
        OutOfRange("layerIdx", "expected a layer in [0, 2)", () => _decomposer.DecomposeResidual(_ids, 2));
        OutOfRange("layerIdx", "expected a layer in [0, 2)", () => _decomposer.DecomposeResidual(_ids, -1));
        OutOfRange("layerIdx", "expected a layer in [0, 2)", () => _decomposer.MlpBasis(7));
        using var attnOnly = TestModels.Create("attn-only");
        var e = Assert.Throws<InvalidOperationException>(() => ((IResidualDecomposer)((IModelTool)_decomposer).WithModel(attnOnly)).MlpBasis(0));
        Assert.Contains("attention-only", e.Message);
    }

    [Fact]
    public void HeadsOutOfRange()
    {
        OutOfRange("head1", "expected a layer in [0, 2) and a head in [0, 4)", () => _composer.HeadComposition((0, 4), (1, 0)));
        OutOfRange("head2", "expected a layer in [0, 2) and a head in [0, 4)", () => _composer.HeadComposition((0, 0), (2, 0)));
        OutOfRange("head1", "a head in [0, 4)", () => _composer.AttentionPathPatching(_ids, (0, -1), (1, 0)));
        OutOfRange("pairs[1].Receiver", "a head in [0, 4)", () => _composer.AttentionPathPatching(_ids, [((0, 0), (1, 0)), ((0, 0), (1, 9))]));
    }

    [Fact]
    public void PairsThatCannotCompose_NameBothHeads()
    {
        foreach (Action call in new Action[]
        {
            () => _composer.HeadComposition((1, 0), (0, 1)),
            () => _composer.AttentionPathPatching(_ids, (1, 0), (0, 1)),
        })
        {
            var e = Assert.Throws<ArgumentException>(call);
            Assert.Equal("head2", e.ParamName);
            Assert.Contains("head1 L1H0 cannot compose into head2 L0H1", e.Message);
            Assert.Contains("L1H0 is in the last layer (1), so no head reads its output", e.Message);
        }
        // The seed's own example, head_composition((0, 0), (0, 1)): two heads of one layer read the same stream and neither reads the other.
        var same = Assert.Throws<ArgumentException>(() => _composer.HeadComposition((0, 0), (0, 1), 0.5));
        Assert.Contains("head1 L0H0 cannot compose into head2 L0H1: the reader (head2) must be in a later layer", same.Message);
        Assert.Contains("i.e. head2.Layer in [1, 2)", same.Message);
        Invalid("pairs[0].Receiver", "cannot compose", () => _composer.AttentionPathPatching(_ids, [((1, 1), (1, 2))]));
        Invalid("receivers[1]", "head1 L0H0 cannot compose into receivers[1] L0H2", () => _composer.AttentionPathPatching(_ids, (0, 0), new HeadIndex[] { (1, 0), (0, 2) }));
        OutOfRange("receivers[0]", "a head in [0, 4)", () => _composer.AttentionPathPatching(_ids, (0, 0), new HeadIndex[] { (1, 4) }));
        Invalid("receivers", "empty", () => _composer.AttentionPathPatching(_ids, (0, 0), Array.Empty<HeadIndex>()));
    }

    [Fact]
    public void TokensOutsideTheVocabulary()
    {
        OutOfRange("targetIdx", "expected a vocabulary id in [0, 61)", () => _logit.LogitAttribution(_ids, 61));
        OutOfRange("targetIdx", "expected a vocabulary id in [0, 61)", () => _logit.LogitAttribution(_ids, -1));
        OutOfRange("targetToken", "expected a vocabulary id in [0, 61)", () => _logit.TrackTokenCirculation(_ids, 1000));
        OutOfRange("inputIds", "ids must lie in [0, 61)", () => _decomposer.DecomposeResidual(tensor(new long[] { 1, 61 }), 0));
        OutOfRange("corruptedIds", "ids must lie in [0, 61)", () => _composer.AttentionPathPatching(_ids, (0, 0), (1, 0), full(2, 5, 99L)));
    }

    [Fact]
    public void EmptyOrMalformedInput()
    {
        foreach (var empty in new[] { zeros(1, 0, dtype: int64), zeros(0, 4, dtype: int64), zeros(0, dtype: int64) })
        {
            Invalid("inputIds", "is empty", () => _decomposer.DecomposeResidual(empty, 0));
            Invalid("inputIds", "is empty", () => _logit.LogitAttribution(empty, 0));
            Invalid("inputIds", "is empty", () => _logit.TrackTokenCirculation(empty, 0));
            Invalid("inputIds", "is empty", () => _composer.AttentionPathPatching(empty, (0, 0), (1, 0)));
        }
        Invalid("inputIds", "is null", () => _decomposer.DecomposeResidual(null!, 0));
        Invalid("inputIds", "expected integer token ids", () => _logit.LogitAttribution(randn(1, 4), 0));
        Invalid("inputIds", "expected token ids [batch, pos] or [pos]", () => _logit.LogitAttribution(zeros(1, 2, 3, dtype: int64), 0));
        OutOfRange("inputIds", "allow 1 to 24 (n_ctx)", () => _logit.LogitAttribution(zeros(1, 25, dtype: int64), 0));
        Invalid("corruptedIds", "must match inputIds [2, 5]", () => _composer.AttentionPathPatching(_ids, (0, 0), (1, 0), zeros(2, 4, dtype: int64)));
        Invalid("direction", "expected a floating-point [32] (d_model) vector", () => _decomposer.DecomposeResidual(_ids, 1, direction: ones(31)));
    }

    [Fact]
    public void OtherArgumentsOutOfRange()
    {
        OutOfRange("position", "expected a position in [-5, 5)", () => _decomposer.DecomposeResidual(_ids, 0, position: 5));
        OutOfRange("position", "expected a position in [-5, 5)", () => _logit.LogitAttribution(_ids, 0, position: -6));
        OutOfRange("batchIndex", "expected a sequence in [0, 2)", () => _logit.TrackTokenCirculation(_ids, 0, batchIndex: 2));
        OutOfRange("topK", "expected at least 1", () => _decomposer.DecomposeResidual(_ids, 0, topK: 0));
        OutOfRange("nLayers", "expected at least 1", () => _logit.TrackTokenCirculation(_ids, 0, nLayers: 0));
        OutOfRange("alpha", "expected a blend weight in [0, 1]", () => _composer.HeadComposition((0, 0), (1, 0), 1.5));
        OutOfRange("alpha", "expected a blend weight in [0, 1]", () => _composer.HeadComposition((0, 0), (1, 0), double.NaN));
        OutOfRange("kind", "expected CompositionKind.Q, K or V", () => _composer.AllCompositionScores((CompositionKind)7));
    }
}
