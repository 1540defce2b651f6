using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Benchmarks;

/// <summary>
/// Issue 14's targets, measured against the TransformerLens-style GPT-2 in PyTorch eager on the same weights:
/// <c>dotnet run -c Release --project tests/Arrakis.Benchmarks -- pytorch [rounds] [repeats] [--python PATH]</c>.
/// </summary>
/// <remarks>
/// <para>Both models load the same Hugging Face GPT-2-small folder (random weights, <see cref="PretrainedFixture"/>) and
/// run the same int64 tokens [4, 256] with the same number of threads. The logits are compared first. Then each round
/// runs every operation once on each side in a shuffled order (the two never run at once: the peer is idle while this
/// process works), and the reported ratio is the median over rounds of this process's time divided by PyTorch's time in
/// the same round — the interleaving that makes ratios trustworthy on a shared, drifting VM.</para>
/// <para>Operations: forward (no grad), <c>RunWithCache</c> of every hook point (cache disposed), one head zero-ablated
/// through a hook on <c>hook_z</c>, loss + backward (gradients then dropped), and reloading the checkpoint folder.</para>
/// <para>Memory: peak RSS of one forward in each process (VmHWM after resetting it through <c>/proc/self/clear_refs</c>),
/// and this process's RSS over <c>repeats</c> forwards and <c>repeats</c> <c>RunWithCache</c> calls, with default
/// allocator settings. Throughput: the forward's matrix-product FLOPs per second over this process's fp32 matmul rate.</para>
/// </remarks>
internal static class ForwardVersusPyTorchProbe
{
    private const int Batch = 4, Positions = 256;

    public static int Run(string[] args)
    {
        int rounds = args.Length > 1 && int.TryParse(args[1], out int r) ? r : 7;
        int repeats = args.Length > 2 && int.TryParse(args[2], out int n) ? n : 100;
        int pythonAt = Array.IndexOf(args, "--python");
        string python = pythonAt >= 0 && pythonAt + 1 < args.Length ? args[pythonAt + 1] : "/usr/bin/python3";
        int threads = Environment.ProcessorCount;
        torch.set_num_threads(threads);

        string folder = PretrainedFixture.Ensure();
        var loadOptions = new PretrainedOptions { ProcessWeights = ProcessWeightsOptions.None, LoadTokenizer = false };
        using var model = HookedTransformer.FromPretrained(folder, loadOptions);
        using var tokens = randint(0, model.Cfg.DVocab, [Batch, Positions], generator: new Generator(1));
        string tokenFile = Path.Combine(Path.GetTempPath(), $"arrakis-pytorch-probe-{Environment.ProcessId}.bin");
        string logitFile = tokenFile + ".logits";
        File.WriteAllBytes(tokenFile, tokens.data<long>().ToArray().SelectMany(BitConverter.GetBytes).ToArray());

        using var peer = new PyTorchPeer(python, PyTorchPeer.BesideThisAssembly, threads: threads);
        Console.WriteLine($"PyTorch peer: {peer.Info.GetRawText()}; OpenBLAS put first: {peer.UsesOpenBlas}");
        Console.WriteLine($"this process: TorchSharp over libtorch {torch.__version__}, {torch.get_num_threads()} threads");
        peer.Send($"load {folder}");
        peer.Send($"tokens {tokenFile} {Batch} {Positions}");

        try
        {
            // Memory first: the logit comparison's managed copies (400 MB in the large-object heap, which the GC keeps
            // committed) would otherwise count against this process.
            MeasurePeakOfOneForward(model, tokens, peer);
            MeasureFlatness(model, tokens, repeats);
            CompareLogits(model, tokens, peer, logitFile);
            if (rounds > 0)  // "pytorch 0 N": memory only
            {
                MeasureTimes(model, tokens, peer, folder, loadOptions, rounds);
                MeasureThroughput(model, tokens);
            }
        }
        finally
        {
            File.Delete(tokenFile);
            File.Delete(logitFile);
        }
        return 0;
    }

    private static void CompareLogits(HookedTransformer model, Tensor tokens, PyTorchPeer peer, string logitFile)
    {
        peer.Time("forward");
        peer.Send($"dump {logitFile}");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ours = model.Forward(tokens);
        var theirs = tensor(System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(logitFile)).ToArray()).reshape(ours.shape);
        double diff = (ours - theirs).abs().max().item<float>();
        Console.WriteLine($"logits: max |Arrakis − PyTorch| = {diff:E2} over [{string.Join(", ", ours.shape)}]");
        if (diff > 1e-3)
            throw new InvalidOperationException($"the two models disagree (max difference {diff}): the comparison would be meaningless");
    }

    private static void MeasurePeakOfOneForward(HookedTransformer model, Tensor tokens, PyTorchPeer peer)
    {
        // Warm both (allocator caches, kernels), then reset each peak and run one forward.
        PeerOperations.Forward(model, tokens);
        peer.Time("forward");
        var before = peer.Send("memory");  // also resets the peer's peak
        peer.Time("forward");
        var after = peer.Send("memory");
        long oursBefore = ProcessMemory.ResetPeak();
        PeerOperations.Forward(model, tokens);
        long oursPeak = ProcessMemory.Read().Peak;
        Console.WriteLine($"  held before, by kind: Arrakis {ProcessMemory.Kinds()}; PyTorch anonymous {before.GetProperty("anon_mb").GetDouble():F0} MiB, file-backed {before.GetProperty("file_mb").GetDouble():F0} MiB");
        double theirBefore = before.GetProperty("rss_mb").GetDouble(), theirPeak = after.GetProperty("peak_rss_mb").GetDouble();
        double ourBeforeMb = oursBefore / 1048576.0, ourPeakMb = oursPeak / 1048576.0;  // MiB, as the peer reports
        Console.WriteLine($"peak RSS of one forward: Arrakis {ourPeakMb:F0} MiB (held before: {ourBeforeMb:F0}, growth {ourPeakMb - ourBeforeMb:F0}); " +
            $"PyTorch {theirPeak:F0} MiB (held before: {theirBefore:F0}, growth {theirPeak - theirBefore:F0}); ratio of peaks {ourPeakMb / theirPeak:F2}× (target ≤ 1.2×)");
    }

    private static void MeasureTimes(HookedTransformer model, Tensor tokens, PyTorchPeer peer, string folder, PretrainedOptions loadOptions, int rounds)
    {
        var operations = new (string Name, string PeerCommand, Action Ours, double Target)[]
        {
            ("forward", "forward", () => PeerOperations.Forward(model, tokens), 1.1),
            ("RunWithCache, every hook point", "cache", () => PeerOperations.Cache(model, tokens), 1.0),
            ("one head zero-ablated (hook_z)", "ablate", () => PeerOperations.Ablate(model, tokens), 1.1),
            ("loss + backward", "backward", () => PeerOperations.Backward(model, tokens), 1.0),
            ("reload the checkpoint folder", "load", () => HookedTransformer.FromPretrained(folder, loadOptions).Dispose(), 1.2),
        };
        foreach (var op in operations)  // warm-up
        {
            op.Ours();
            peer.Time(op.PeerCommand);
        }
        var ratios = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var ours = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var theirs = operations.ToDictionary(o => o.Name, _ => new List<double>());
        var random = new Random(1);
        for (int round = 0; round < rounds; round++)
        {
            var ourTimes = new Dictionary<string, double>();
            var theirTimes = new Dictionary<string, double>();
            foreach (var (op, mine) in operations.SelectMany(o => new[] { (o, true), (o, false) }).OrderBy(_ => random.Next()).ToList())
            {
                if (mine)
                {
                    var clock = Stopwatch.StartNew();
                    op.Ours();
                    ourTimes[op.Name] = clock.Elapsed.TotalMilliseconds;
                }
                else
                {
                    theirTimes[op.Name] = peer.Time(op.PeerCommand);
                }
            }
            foreach (var op in operations)
            {
                ours[op.Name].Add(ourTimes[op.Name]);
                theirs[op.Name].Add(theirTimes[op.Name]);
                ratios[op.Name].Add(ourTimes[op.Name] / theirTimes[op.Name]);
            }
        }
        Console.WriteLine($"GPT-2-small shape, {Batch} × {Positions} tokens, {torch.get_num_threads()} threads, {rounds} interleaved rounds; " +
            $"load average {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine($"{"operation",-34} {"Arrakis ms",11} {"PyTorch ms",11} {"median ratio",13} {"min–max",12} {"target",7}");
        foreach (var op in operations)
            Console.WriteLine($"{op.Name,-34} {Median(ours[op.Name]),11:F0} {Median(theirs[op.Name]),11:F0} {Median(ratios[op.Name]),12:F2}× " +
                $"{ratios[op.Name].Min(),5:F2}–{ratios[op.Name].Max():F2} {"≤ " + op.Target.ToString("F1") + "×",7}");
    }

    private static void MeasureThroughput(HookedTransformer model, Tensor tokens)
    {
        var cfg = model.Cfg;
        double d = cfg.DModel, t = Batch * Positions;
        // Matrix-product FLOPs of one forward: per layer q, k, v, o (4·d²) and the MLP (2·d·d_mlp) per token, attention
        // scores and pattern·v (2·pos·d per token, full square as computed), and the unembedding (d·d_vocab per token).
        double flops = 2 * t * (cfg.NLayers * (4 * d * d + 2 * d * cfg.DMlp + 2 * Positions * d) + d * cfg.DVocab);
        var forwardTimes = Enumerable.Range(0, 5).Select(_ => Timed(() => PeerOperations.Forward(model, tokens))).ToList();
        using var a = randn(Batch * Positions, cfg.DModel);
        using var b = randn(cfg.DModel, cfg.DMlp);
        double matmulFlops = 2.0 * Batch * Positions * cfg.DModel * cfg.DMlp;
        var matmulTimes = Enumerable.Range(0, 20).Select(_ => Timed(() => a.mm(b).Dispose())).ToList();
        double forwardRate = flops / (Median(forwardTimes) / 1000), matmulRate = matmulFlops / (Median(matmulTimes) / 1000);
        Console.WriteLine($"throughput: forward {forwardRate / 1e9:F1} GFLOP/s (of its matrix products, median of 5) vs fp32 matmul " +
            $"[{Batch * Positions}×{cfg.DModel}]·[{cfg.DModel}×{cfg.DMlp}] {matmulRate / 1e9:F1} GFLOP/s: {100 * forwardRate / matmulRate:F0}% (target ≥ 60%)");
    }

    private static void MeasureFlatness(HookedTransformer model, Tensor tokens, int repeats)
    {
        foreach (var (name, op) in new (string, Action)[] { ("forwards", () => PeerOperations.Forward(model, tokens)), ("RunWithCache calls (cache disposed)", () => PeerOperations.Cache(model, tokens)) })
        {
            long early = 0;
            long peakStart = ProcessMemory.ResetPeak();
            for (int i = 1; i <= repeats; i++)
            {
                op();
                if (i == Math.Min(10, repeats))
                    early = ProcessMemory.Read().Rss;
            }
            var (late, peak) = ProcessMemory.Read();
            Console.WriteLine($"RSS over {repeats} {name}: after {Math.Min(10, repeats)}: {early / 1048576.0:F0} MiB, after {repeats}: {late / 1048576.0:F0} MiB " +
                $"({100.0 * (late - early) / early:+0.0;-0.0}%, target ±5%); peak {peak / 1048576.0:F0} MiB (held at start {peakStart / 1048576.0:F0})");
        }
    }

    private static double Timed(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
