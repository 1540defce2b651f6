// logit.csx — seed 002 (Arrakis's logit attributor), translated.
//
//   dotnet run --project src/Arrakis.Cli -- run scripts/logit.csx [--model random-llama] [-- TARGET N_LAYERS]
//
// Direct logit attribution of one vocabulary id's logit at the last position (per component, summing to the logit
// minus the unembedding bias; per head split by source token), and how that token's logit-lens logit, probability and
// rank move through the first layers, with each layer's direct attention and MLP moves. The seed's call was
// test_logit_attributor(input_ids, 0, 2).
using Arrakis.Tools;

long target = Args.Count > 0 ? long.Parse(Args[0]) : 0;
int nLayers = Args.Count > 1 ? int.Parse(Args[1]) : Math.Min(2, Model.Cfg.NLayers);

public sealed record LogitReport(TokenCirculationResult DirectMoves, LogitAttributionResult LogitAttribution);

public partial class MIExperiment(HookedTransformer model, string saveDir, IToolRegistry tools) : InterpretabilityBench(model, saveDir, tools)
{
    /// <summary>Seed 002: direct logit attribution and token circulation.</summary>
    [UseTools("logit"), LogExperiment]
    public LogitReport TestLogitAttributor(Tensor inputIds, long targetIdx, int nLayers, ILogitAttributor logit)
        => new(logit.TrackTokenCirculation(inputIds, targetIdx, nLayers), logit.LogitAttribution(inputIds, targetIdx));
}

var exp = new MIExperiment(Model, OutDir, Tools);
var inputIds = randint(0, Model.Cfg.DVocab, [1, Math.Min(50, Model.Cfg.NCtx)], generator: new Generator(0)).to(Model.Device);
var report = exp.TestLogitAttributor(inputIds, target, nLayers);
Out.WriteLine(report.DirectMoves);
Out.WriteLine(report.LogitAttribution);
Out.WriteLine($"Saved as experiment '{exp.LastRun?.Experiment}' (run {exp.LastRun?.RunId}) in {Path.GetFullPath(OutDir)}");
