using Arrakis.Checkpoints;
using BenchmarkDotNet.Attributes;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// <see cref="HookedTransformer.FromPretrained"/> on a generated GPT-2-small-shaped Hugging Face folder (124 M
/// parameters, F32, ≈ 498 MB, real GPT-2 key names and Conv1D layout, tied wte), against reading the same bytes with the
/// file in the page cache (baseline: <c>cat model.safetensors &gt; /dev/null</c>'s work). FromPretrained builds the
/// model, checks every name and shape, reads the weights (c_attn is split into W_Q/W_K/W_V through one temporary per
/// layer; the rest goes straight into the parameters) and, with default options, processes the weights.
/// </summary>
[MemoryDiagnoser]
public class PretrainedLoadBenchmark
{
    private string _folder = null!;
    private string _weights = null!;

    [GlobalSetup]
    public void Setup()
    {
        _folder = PretrainedFixture.Ensure();
        _weights = Path.Combine(_folder, CheckpointFolder.SingleFileName);
        CatLikeRead();
    }

    [Benchmark(Baseline = true, Description = "read bytes, 128 KiB buffer (cat)")]
    public long CatLikeRead() => CheckpointFixture.CatLikeRead(_weights);

    [Benchmark(Description = "read bytes into fresh memory")]
    public long ReadIntoFreshMemory() => CheckpointFixture.ReadIntoFreshMemory(_weights);

    [Benchmark(Description = "FromPretrained, no processing")]
    public long FromPretrainedRaw() => PretrainedFixture.Load(_folder, ProcessWeightsOptions.None);

    [Benchmark(Description = "FromPretrained, TL default processing")]
    public long FromPretrainedProcessed() => PretrainedFixture.Load(_folder, ProcessWeightsOptions.Default);

    [Benchmark(Description = "FromPretrained, mapped, no processing")]
    public long FromPretrainedMappedRaw() => PretrainedFixture.Load(_folder, ProcessWeightsOptions.None, memoryMap: true);

    [Benchmark(Description = "FromPretrained, mapped, TL default processing")]
    public long FromPretrainedMappedProcessed() => PretrainedFixture.Load(_folder, ProcessWeightsOptions.Default, memoryMap: true);
}

/// <summary>The generated GPT-2-small folder and the load the benchmark and the RSS probe run.</summary>
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
