using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// A drift-resistant complement to <see cref="CheckpointLoadBenchmark"/> on a shared, noisy machine:
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- first-use [rounds]</c> (<see cref="InterleavedProbe"/>:
/// shuffled rounds, medians of per-round ratios to <c>cat</c>).
/// </summary>
internal static class FirstUseProbe
{
    public static int Run(int rounds)
    {
        string path = CheckpointFixture.Ensure();
        var resident = CheckpointFixture.Layout().Select(t => randn(t.Shape)).ToList();
        var operations = new (string Name, Func<object?> Run)[]
        {
            ("cat", () => CheckpointFixture.CatLikeRead(path)),
            ("load all (copy)", () => CheckpointFixture.LoadAll(path)),
            ("load all, mapped", () => CheckpointFixture.LoadAll(path, memoryMap: true)),
            ("load all (copy) + sum", () => CheckpointFixture.LoadAllThenSum(path, memoryMap: false)),
            ("load all, mapped + sum", () => CheckpointFixture.LoadAllThenSum(path, memoryMap: true)),
            ("sum of resident tensors", () => resident.Sum(t => { using var s = t.sum(); return (double)s.item<float>(); })),
        };
        InterleavedProbe.Run($"{path}, {new FileInfo(path).Length / 1e6:F1} MB", operations, rounds);
        foreach (var t in resident)
            t.Dispose();
        return 0;
    }
}
