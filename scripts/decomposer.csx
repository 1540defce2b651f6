// decomposer.csx — seed 000 (Arrakis's residual decomposer), translated.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/decomposer.csx [--model random-llama] [-- LAYER]
//
// The residual stream entering a layer, split exactly into the outputs that wrote it (embeddings, every earlier head
// and MLP, biases), ranked by norm at the last position, with the reconstruction error; then the directions the
// layer's MLP reads and writes (SVD of W_in and W_out). The seed ran it on HookedAutoConfig("llama") with random
// tokens: `--model random-llama` does the same; any model works.
using Arrakis.Tools;

int layer = Args.Count > 0 ? int.Parse(Args[0]) : Math.Min(1, Model.Cfg.NLayers - 1);

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
{
    /// <summary>Seed 000: the residual stream entering a layer, decomposed.</summary>
    [UseTools("decomposer"), LogExperiment]
    public ResidualDecompositionResult TestResidualDecomposer(Tensor inputIds, int layerIdx, IResidualDecomposer decomposer)
        => decomposer.DecomposeResidual(inputIds, layerIdx);
}

var exp = new MIExperiment(Model, OutDir, Tools);
var inputIds = randint(0, Model.Cfg.DVocab, [1, Math.Min(50, Model.Cfg.NCtx)], generator: new TorchSharp.torch.Generator(0)).to(Model.Device);
using (var rd = exp.TestResidualDecomposer(inputIds, layer))
    Out.WriteLine(rd);
if (!Model.Cfg.AttnOnly)
{
    var decomposer = Tools.Get<IResidualDecomposer>("decomposer");   // the Tools global: bound to Model, like the bench's
    using var basis = decomposer.MlpBasis(layer);
    Out.WriteLine(basis.ToString(5));
}
Out.WriteLine($"Saved as experiment '{exp.LastRun?.Experiment}' (run {exp.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
