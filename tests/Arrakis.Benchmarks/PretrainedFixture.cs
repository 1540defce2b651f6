using Arrakis.Checkpoints;

namespace Arrakis.Benchmarks;

/// <summary>
/// The generated GPT-2-small folder and the load the benchmarks and the RSS probe run; also compiled into
/// tests/gpu/Arrakis.GpuCheck, whose comparison with PyTorch loads the same folder.
/// </summary>
internal static class PretrainedFixture
{
    public static string DefaultFolder =>
        Path.Combine(Environment.GetEnvironmentVariable("ARRAKIS_BENCH_DIR") ?? Path.GetTempPath(), "arrakis-bench-gpt2-small");

    /// <summary>Writes the folder once, through SavePretrained of a random GPT-2-small-shaped model.</summary>
    public static string Ensure(string? folder = null)
    {
        folder ??= DefaultFolder;
        if (File.Exists(Path.Combine(folder, CheckpointFolder.SingleFileName)) && File.Exists(Path.Combine(folder, CheckpointFolder.ConfigFileName)))
            return folder;
        var config = HookedAutoConfig.Create("gpt2", vocabSize: 50257, hiddenSize: 768, numHiddenLayers: 12, numAttentionHeads: 12,
            maxPositionEmbeddings: 1024, seed: 0);
        using var model = new HookedTransformer(config);
        model.SavePretrained(folder, options: new SavePretrainedOptions { Overwrite = true });
        return folder;
    }

    /// <summary>Loads the model (no tokenizer) and returns its parameter count.</summary>
    public static long Load(string folder, ProcessWeightsOptions processing, bool memoryMap = false)
    {
        using var model = HookedTransformer.FromPretrained(folder,
            new PretrainedOptions { ProcessWeights = processing, LoadTokenizer = false, MemoryMap = memoryMap });
        return model.parameters().Sum(p => p.numel());
    }
}
