using TorchSharp;

// No Arrakis type is touched before this line and the program has no [ModuleInitializer] of its own.
using var x = torch.arange(1, 5, dtype: torch.float32);
Console.WriteLine($"sum {x.sum().item<float>()}");
Console.WriteLine($"loaded by Arrakis: {Arrakis.Native.TorchNative.Status?.Mode}");
