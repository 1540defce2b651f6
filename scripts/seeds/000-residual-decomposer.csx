// Seed 000, Arrakis's "Residual Decomposer" example, as a script:
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/seeds/000-residual-decomposer.csx
//
// As in the seed: a random llama-family model (HookedAutoConfig defaults), 50 random token ids, and a bench class whose
// experiment takes the "decomposer" tool as its last parameter; the call leaves the tool out ([UseTools] fills it in).
// The decomposer is the built-in plugin, bound by the bench to the bench's model. Definitions: docs/tools/decomposer.md.
using Arrakis.Tools;

var config = HookedAutoConfig.Create("llama", seed: 0);   // Arrakis: HookedAutoConfig(name="llama"), other args default
var model = new HookedAutoModel(config);
var inputIds = randint(0, 50256, [1, 50], generator: new Generator(0));   // replace with your ids

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
{
    [UseTools("decomposer")]
    public ResidualDecompositionResult TestResidualDecomposer(Tensor inputIds, int layerIdx, IResidualDecomposer decomposer)
    {
        var rd = decomposer.DecomposeResidual(inputIds, layerIdx);
        return rd;
    }
}

var exp = new MIExperiment(model, OutDir, Tools);
Out.WriteLine(exp.TestResidualDecomposer(inputIds, 0));                   // the seed's call: the stream entering layer 0
Out.WriteLine(exp.TestResidualDecomposer(inputIds, config.NLayers - 1));  // and entering the last layer, where there is more to split
