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
