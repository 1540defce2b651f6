using Arrakis.Experiments.Tools;

namespace Arrakis.Experiments;

/// <summary>A bench over the tiny model with the test tools, saving under a fresh temporary directory; warnings are kept.</summary>
public sealed class ExperimentFixture : IDisposable
{
    public ExperimentFixture()
    {
        SaveDir = Directory.CreateTempSubdirectory("arrakis-experiments-").FullName;
        Model = TinyModel.Create();
        var decomposer = new ResidualDecomposer(Model);
        Registry = new DictionaryToolRegistry()
            .Set("decomposer", decomposer)
            .Set("logit", new LogitAttributor(Model, decomposer))
            .Set("composer", new AttentionComposer(Model));
        Experiment = new MIExperiment(Model, SaveDir, Registry, Warnings.Add);
    }

    public string SaveDir { get; }

    public HookedTransformer Model { get; }

    public DictionaryToolRegistry Registry { get; }

    public MIExperiment Experiment { get; }

    public List<string> Warnings { get; } = [];

    public void Dispose() => Directory.Delete(SaveDir, recursive: true);
}
