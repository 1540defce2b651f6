using System.Diagnostics;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// The drift-resistant complement to <see cref="PatchingBenchmark"/> and <see cref="AttributionBenchmark"/>:
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- patching [rounds] [threads]</c>. Interleaved rounds (see
/// <see cref="InterleavedProbe"/>) on each zoo model, then EAP's edges per second, then the peak resident memory a
/// batched heads × positions run adds under three memory budgets (the kernel's peak-RSS counter reset before each).
/// </summary>
internal static class PatchingProbe
{
    public static int Run(int rounds, int threads)
    {
        // One libtorch thread by default: on a busy 2-core machine OpenMP threads that spin-wait for a core make small
        // models many times slower (docs/model-zoo.md, "Why --threads 1").
        set_num_threads(threads);
        foreach (string name in new[] { "gpt2-mini-language", "attn-only-2l" })
        {
            using var work = PatchingWorkload.Create(name);
            int heads = work.Model.Cfg.NLayers * work.Model.Cfg.NHeads;
            var operations = new (string Name, Func<object?> Run)[]
            {
                ("heads × pos, one patch per forward", () => Sum(() => ActivationPatching.GetActPatchAttnHeadOutByPos(work.Model, work.Clean, work.Corrupted, work.Metric, options: PatchingOptions.OnePatchPerForward))),
                ("heads × pos, batched (256 MiB)", () => Sum(() => ActivationPatching.GetActPatchAttnHeadOutByPos(work.Model, work.Clean, work.Corrupted, work.Metric))),
                ("heads, exhaustive, one per forward", () => Sum(() => ActivationPatching.GetActPatchAttnHeadOutAllPos(work.Model, work.Clean, work.Corrupted, work.Metric, options: PatchingOptions.OnePatchPerForward))),
                ("heads, exhaustive, batched", () => Sum(() => ActivationPatching.GetActPatchAttnHeadOutAllPos(work.Model, work.Clean, work.Corrupted, work.Metric))),
                ("heads, AtP (2 fwd + 1 bwd)", () => Sum(() => AttributionPatching.Run(work.Model, work.Clean, work.Corrupted, work.Metric, "z", [PatchAxis.Layer, PatchAxis.Head]))),
                ("EAP, every edge", () => EdgeAttributionPatching.Run(work.Model, work.Clean, work.Corrupted, work.Metric).Edges.Count),
            };
            InterleavedProbe.Run($"{name}: {work.Clean.shape[0]} × {work.Clean.shape[1]} tokens, {heads} heads, {get_num_threads()} threads", operations, rounds);

            var clock = Stopwatch.StartNew();
            int edges = 0, runs = 0;
            while (clock.Elapsed.TotalSeconds < 3 || runs < 3)
            {
                using var scope = NewDisposeScope();
                edges += EdgeAttributionPatching.Run(work.Model, work.Clean, work.Corrupted, work.Metric).Edges.Count;
                runs++;
            }
            Console.WriteLine($"EAP on {name}: {edges / runs} edges per run, {edges / clock.Elapsed.TotalSeconds:N0} edges/s over {runs} runs");

            foreach (long mib in new long[] { 8, 32, 256 })
            {
                var options = new PatchingOptions { MemoryBudgetBytes = mib << 20 };
                int perPass = ActivationPatching.VariantsPerPass(work.Model.Cfg, work.Clean.shape[0], work.Clean.shape[1], options);
                GC.Collect();
                long before = ResidentKiB("VmRSS");
                File.WriteAllText("/proc/self/clear_refs", "5");   // reset the peak (VmHWM) to the current RSS
                Sum(() => ActivationPatching.GetActPatchAttnHeadOutByPos(work.Model, work.Clean, work.Corrupted, work.Metric, options: options));
                long peak = ResidentKiB("VmHWM");
                Console.WriteLine($"  budget {mib,4} MiB: {perPass,4} variants per pass; peak RSS added {(peak - before) / 1024.0:F1} MiB " +
                                  $"(estimate per pass {perPass * work.Clean.shape[0] * ActivationPatching.EstimatedBytesPerSequence(work.Model.Cfg, work.Clean.shape[1]) / 1048576.0:F1} MiB)");
            }
        }
        return 0;
    }

    private static float Sum(Func<PatchingResult> run)
    {
        using var scope = NewDisposeScope();
        using var result = run();
        return result.Values.sum().item<float>();
    }

    private static long ResidentKiB(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
}
