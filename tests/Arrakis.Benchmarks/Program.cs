using BenchmarkDotNet.Running;

// dotnet run -c Release --project tests/Arrakis.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
