using Arrakis.Experiments.Tools;

namespace Arrakis.Experiments;

/// <summary>
/// A bench over one model with the built-in tools (loaded through the plugin host from the plugins deployed beside this
/// test assembly), saving under a fresh temporary directory; warnings are kept.
/// </summary>
public sealed class ExperimentFixture : IDisposable
{
    public ExperimentFixture(HookedTransformer model, long sampleSeed = 0)
    {
        SaveDir = Directory.CreateTempSubdirectory("arrakis-experiments-").FullName;
        Model = model;
        Registry = BuiltInPlugins.Registry();
        Experiment = new MIExperiment(Model, SaveDir, Registry, Warnings.Add) { SampleSeed = sampleSeed };
    }

    public string SaveDir { get; }

    public HookedTransformer Model { get; }

    public DictionaryToolRegistry Registry { get; }

    public MIExperiment Experiment { get; }

    public List<string> Warnings { get; } = [];

    public void Dispose() => Directory.Delete(SaveDir, recursive: true);
}
