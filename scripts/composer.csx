// composer.csx — seed 003 (Arrakis's attention composer), translated.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/composer.csx [--model random-llama] [-- L1 H1 L2 H2 ALPHA]
//
// For a writer head in an earlier layer and a reader head: their Q-, K- and V-composition scores against the random
// baseline (and the seed's alpha-blended "merged head" weights, named as such), and path patching from the writer to
// the reader (mean ablation of the writer along the direct path into the reader only). The seed called
// test_attention_composer((0, 0), (0, 1), 0.5), two heads of one layer, which cannot compose; the default here is
// (0, 0) → (1, 0).
using Arrakis.Tools;

HeadIndex head1 = Args.Count >= 2 ? (int.Parse(Args[0]), int.Parse(Args[1])) : (0, 0);
HeadIndex head2 = Args.Count >= 4 ? (int.Parse(Args[2]), int.Parse(Args[3])) : (1, 0);
double alpha = Args.Count >= 5 ? double.Parse(Args[4], System.Globalization.CultureInfo.InvariantCulture) : 0.5;

public sealed record CompositionReport(HeadCompositionResult HeadComposition, AttentionPathPatchingResult AttentionPathPatching);

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools, Tensor inputIds) : InterpretabilityBench(model, saveDir, tools)
{
    /// <summary>Seed 003: composition of two heads and the path between them.</summary>
    [UseTools("composer"), LogExperiment]
    public CompositionReport TestAttentionComposer(HeadIndex head1, HeadIndex head2, double alpha, IAttentionComposer composer)
        => new(composer.HeadComposition(head1, head2, alpha), composer.AttentionPathPatching(inputIds, head1, head2));
}

var inputIds = randint(0, Model.Cfg.DVocab, [4, Math.Min(50, Model.Cfg.NCtx)], generator: new Generator(0)).to(Model.Device);
var exp = new MIExperiment(Model, OutDir, Tools, inputIds);
var report = exp.TestAttentionComposer(head1, head2, alpha);
Out.WriteLine(report.HeadComposition);
Out.WriteLine(report.AttentionPathPatching);
Out.WriteLine($"Saved as experiment '{exp.LastRun?.Experiment}' (run {exp.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
