using Arrakis.Benchmarks;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- rss      (peak RSS of checkpoint loading)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- rss pretrained   (peak RSS of FromPretrained, GPT-2 small)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- first-use [rounds]   (checkpoint load + first use, interleaved)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- hook-overhead [rounds]   (hook overhead, interleaved)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- decomposition-memory
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- pytorch [rounds] [repeats]   (issue 14: against PyTorch eager)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- script-startup [runs]   (cold and cached `arrakis run`)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- script-memory [count]   (long script-host sessions)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- patching [rounds] [threads]   (activation/attribution patching, interleaved)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- circuits [rounds] [threads]   (EAP vs ACDC discovery, batched circuit evaluation)
if (args.Length > 0 && args[0] == "script-startup")
    return ScriptHostProbes.Startup(args.Length > 1 ? int.Parse(args[1]) : 5);
if (args.Length > 0 && args[0] == "script-memory")
    return await ScriptHostProbes.Memory(args.Length > 1 ? int.Parse(args[1]) : 300);
if (args.Length > 0 && args[0] == "patching")
    return PatchingProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 5, args.Length > 2 ? int.Parse(args[2]) : 1);
if (args.Length > 0 && args[0] == "circuits")
    return CircuitProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 3, args.Length > 2 ? int.Parse(args[2]) : 1);
if (args.Length > 0 && args[0] == "first-use")
    return FirstUseProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 15);
if (args.Length > 0 && args[0] == "hook-overhead")
    return HookOverheadProbe.Run(args.Length > 1 ? int.Parse(args[1]) : 15);
if (args.Length > 0 && args[0] == "pytorch")
    return ForwardVersusPyTorchProbe.Run(args);
if (args.Length > 0 && args[0] == "decomposition-memory")
    return DecompositionFixture.MeasureMemory();
if (args.Length > 0 && args[0] is "rss" or "rss-child")
    return RssProbe.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
