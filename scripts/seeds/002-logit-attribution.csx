// Seed 002, Arrakis's "Logit Attribution" example, as a script:
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/seeds/002-logit-attribution.csx
//
// As in the seed: a random llama-family model, 50 random token ids, and an experiment taking the "logit" tool; the call
// test_logit_attributor(input_ids, 0, 2) explains the logit of vocabulary id 0 at the last position and follows token 0
// through the first 2 layers. The tool is the built-in plugin, bound to the bench's model. Definitions: docs/tools/logit.md.
using Arrakis.Tools;

var config = HookedAutoConfig.Create("llama", seed: 0);
var model = new HookedAutoModel(config);
var inputIds = randint(0, 50256, [1, 50], generator: new Generator(0));

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
{
    [UseTools("logit")]
    public Dictionary<string, object> TestLogitAttributor(Tensor inputIds, long targetIdx, int nLayers, ILogitAttributor logit)
    {
        var directMoves = logit.TrackTokenCirculation(inputIds, targetIdx, nLayers);
        var logitAttribution = logit.LogitAttribution(inputIds, targetIdx);
        return new()
        {
            ["direct_moves"] = directMoves,
            ["logit_attribution"] = logitAttribution,
        };
    }
}

var exp = new MIExperiment(model, OutDir, Tools);
var result = exp.TestLogitAttributor(inputIds, 0, 2);   // the seed's call
Out.WriteLine(result["direct_moves"]);
Out.WriteLine(result["logit_attribution"]);
