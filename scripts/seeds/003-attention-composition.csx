// Seed 003, Arrakis's "Attention Head Composition" example, as a script:
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/seeds/003-attention-composition.csx
//
// As in the seed: a random llama-family model, 50 random token ids, and an experiment taking the "composer" tool. The
// seed calls test_attention_composer((0, 0), (0, 1), 0.5): two heads of the same layer, which cannot compose (both read
// the same residual stream; a head only reads what earlier layers wrote), so this script asks about head 0 of layer 0
// writing into head 1 of layer 1, and shows the error the seed's pair gets. Definitions: docs/tools/composer.md.
using Arrakis.Tools;

var config = HookedAutoConfig.Create("llama", seed: 0);
var model = new HookedAutoModel(config);
var inputIds = randint(0, 50256, [1, 50], generator: new Generator(0));

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools, Tensor inputIds) : InterpretabilityBench(model, saveDir, tools)
{
    [UseTools("composer")]
    public Dictionary<string, object> TestAttentionComposer(HeadIndex head1, HeadIndex head2, double alpha, IAttentionComposer composer)
    {
        var hc = composer.HeadComposition(head1, head2, alpha);
        var app = composer.AttentionPathPatching(inputIds, head1, head2);
        return new()
        {
            ["head_composition"] = hc,
            ["attention_path_patching"] = app,
        };
    }
}

var exp = new MIExperiment(model, OutDir, Tools, inputIds);
var result = exp.TestAttentionComposer((0, 0), (1, 1), 0.5);   // a pair that can compose
Out.WriteLine(result["head_composition"]);
Out.WriteLine(result["attention_path_patching"]);
try
{
    exp.TestAttentionComposer((0, 0), (0, 1), 0.5);             // the seed's pair
}
catch (ArgumentException e)
{
    Out.WriteLine($"The seed's pair: {e.Message}");
}
