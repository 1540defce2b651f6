using Arrakis.Benchmarks;
using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*'
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- rss      (peak RSS of checkpoint loading)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- rss pretrained   (peak RSS of FromPretrained, GPT-2 small)
// dotnet run -c Release --project tests/Arrakis.Benchmarks -- decomposition-memory
if (args.Length > 0 && args[0] == "decomposition-memory")
    return DecompositionFixture.MeasureMemory();
if (args.Length > 0 && args[0] is "rss" or "rss-child")
    return RssProbe.Run(args);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
