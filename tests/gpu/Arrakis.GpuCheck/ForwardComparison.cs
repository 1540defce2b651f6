using System.Diagnostics;
using Arrakis.Benchmarks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.GpuCheck;

/// <summary>
/// GPT-2 small (random weights, written once as a Hugging Face folder) in Arrakis and in the TransformerLens-style
/// PyTorch peer on the same device: forward, <c>RunWithCache</c> (every hook point) and backward (next-token
/// cross-entropy) at each size, interleaved (Arrakis, PyTorch, then PyTorch, Arrakis in the next round), medians of
/// the timed rounds after one warm-up; then the GPU memory each process holds.
/// </summary>
internal static class ForwardComparison
{
    private static readonly string[] Operations = ["forward", "cache", "backward"];

    public static bool Run(CheckArguments args)
    {
        var device = DeviceResolver.Resolve(args.Device);
        var dtype = args.Dtype switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            "float16" => ScalarType.Float16,
            _ => throw new ArgumentException($"--dtype: '{args.Dtype}' is not one of float32, bfloat16, float16"),
        };
        string folder = PretrainedFixture.Ensure(args.Folder);
        bool runArrakis = args.Side != "pytorch";
        var clock = Stopwatch.StartNew();
        // With --side pytorch the model stays on the CPU: it only gives the vocabulary size, and the GPU stays PyTorch's.
        using var model = HookedTransformer.FromPretrained(folder, new PretrainedOptions
        {
            Device = runArrakis ? args.Device : DeviceChoice.Cpu, Dtype = dtype, ProcessWeights = ProcessWeightsOptions.None, LoadTokenizer = false,
        });
        Console.WriteLine($"GPT-2 small ({model.parameters().Sum(p => p.numel()) / 1e6:F0} M parameters) on {model.Device} in {args.Dtype}: Arrakis loaded it in {clock.ElapsedMilliseconds} ms{(runArrakis ? "" : " (--side pytorch: not timed)")}");

        PyTorchPeer? peer = null;
        if (args.Side == "arrakis")
            Console.WriteLine("PyTorch peer: not run (--side arrakis)");
        else if (args.Peer is null || !File.Exists(args.Peer))
            Console.WriteLine($"PyTorch peer: not run (--peer '{args.Peer}' is not a file)");
        else
        {
            try
            {
                peer = new PyTorchPeer(args.Python, args.Peer, device.type == DeviceType.CUDA ? "cuda" : "cpu", args.Dtype);
                double loadMs = peer.Time($"load {folder}");
                Console.WriteLine($"PyTorch peer: {peer.Info.GetRawText()}; loaded in {loadMs:F0} ms");
            }
            catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception or IOException)
            {
                Console.WriteLine($"PyTorch peer: not run ({e.Message})");
                peer?.Dispose();
                peer = null;
            }
        }

        var memory = device.type == DeviceType.CUDA ? GpuMemory.Open(out string why) : null;
        bool ok = true;
        using (peer)
        {
            Console.WriteLine($"{"size",-8} {"dtype",-9} {"operation",-9} {"Arrakis ms",10} {"PyTorch ms",10} {"ratio",6}   check (Arrakis / PyTorch)");
            foreach (var (batch, pos) in args.Sizes)
                ok &= RunSize(model, runArrakis, peer, memory, runArrakis ? device : CPU, args, batch, pos);
        }
        return ok;
    }

    private static bool RunSize(HookedTransformer model, bool runArrakis, PyTorchPeer? peer, GpuMemory? memory, Device device, CheckArguments args, int batch, int pos)
    {
        using var tokens = randint(0, model.Cfg.DVocab, [batch, pos], dtype: int64, generator: new Generator((ulong)(batch * 10_000 + pos))).to(device);
        string tokenFile = Path.Combine(Path.GetTempPath(), $"arrakis-gpu-tokens-{Environment.ProcessId}.bin");
        File.WriteAllBytes(tokenFile, tokens.cpu().bytes.ToArray());
        peer?.Send($"tokens {tokenFile} {batch} {pos}");

        var times = Operations.ToDictionary(o => o, _ => (Arrakis: new List<double>(), PyTorch: new List<double>()));
        var checks = Operations.ToDictionary(o => o, _ => (Arrakis: double.NaN, PyTorch: double.NaN));
        var failures = new Dictionary<string, string>();
        for (int round = 0; round <= args.Rounds; round++)
        {
            foreach (string op in Operations)
            {
                bool arrakisFirst = round % 2 == 0;
                for (int side = 0; side < 2; side++)
                {
                    bool arrakis = (side == 0) == arrakisFirst;
                    if ((!arrakis && peer is null) || (arrakis && !runArrakis))
                        continue;
                    string key = (arrakis ? "Arrakis " : "PyTorch ") + op;
                    if (failures.ContainsKey(key))
                        continue;
                    try
                    {
                        double ms;
                        double check;
                        if (arrakis)
                            (ms, check) = TimeArrakis(model, tokens, op);
                        else
                        {
                            var reply = peer!.Send(op);
                            (ms, check) = (reply.GetProperty("ms").GetDouble(), reply.GetProperty("check").GetDouble());
                        }
                        if (round == 0)
                            continue;  // warm-up
                        (arrakis ? times[op].Arrakis : times[op].PyTorch).Add(ms);
                        checks[op] = arrakis ? (check, checks[op].PyTorch) : (checks[op].Arrakis, check);
                    }
                    catch (Exception e) when (e is System.Runtime.InteropServices.ExternalException or InvalidOperationException or OutOfMemoryException)
                    {
                        failures[key] = e.Message.Split('\n')[0];
                    }
                }
            }
        }

        bool ok = true;
        foreach (string op in Operations)
        {
            double a = Median(times[op].Arrakis), p = Median(times[op].PyTorch);
            string ratio = double.IsNaN(a) || double.IsNaN(p) ? "-" : $"{a / p:F2}x";
            Console.WriteLine($"{batch}x{pos,-6} {args.Dtype,-9} {op,-9} {Show(a),10} {Show(p),10} {ratio,6}   {checks[op].Arrakis:G6} / {checks[op].PyTorch:G6}");
        }
        foreach (var (key, message) in failures)
        {
            ok &= !key.StartsWith("Arrakis", StringComparison.Ordinal);
            Console.WriteLine($"{batch}x{pos,-6} {args.Dtype,-9} FAILED {key}: {message}");
        }

        if (memory is not null)
        {
            var (perProcess, used) = memory.Read(peer is null ? [Environment.ProcessId] : [Environment.ProcessId, peer.Pid]);
            string Mb(ulong? bytes) => bytes is { } b ? $"{b / 1048576.0:F0} MB" : "not listed by NVML";
            string peerAllocator = "";
            if (peer is not null)
            {
                var m = peer.Send("memory");
                peerAllocator = m.TryGetProperty("cuda_peak_mb", out var peak) ? $"; PyTorch allocator peak since last reading {peak.GetDouble():F0} MB" : "";
            }
            Console.WriteLine($"{batch}x{pos,-6} {args.Dtype,-9} GPU memory held (NVML, after the size's runs; includes CUDA context and cached blocks): " +
                              $"Arrakis {Mb(perProcess[0])}" + (peer is null ? "" : $", PyTorch {Mb(perProcess[1])}") + $"; device total used {used / 1048576.0:F0} MB{peerAllocator}");
        }
        File.Delete(tokenFile);
        return ok;
    }

    private static (double Ms, double Check) TimeArrakis(HookedTransformer model, Tensor tokens, string op)
    {
        Synchronize(tokens.device);
        var clock = Stopwatch.StartNew();
        double check = PeerOperations.Run(op, model, tokens);
        Synchronize(tokens.device);
        return (clock.Elapsed.TotalMilliseconds, check);
    }

    private static void Synchronize(Device device)
    {
        if (device.type == DeviceType.CUDA)
            torch.cuda.synchronize();
    }

    private static double Median(List<double> values) => values.Count == 0 ? double.NaN : values.Order().ElementAt(values.Count / 2);

    private static string Show(double ms) => double.IsNaN(ms) ? "-" : ms.ToString("F1");
}
