using Arrakis.GpuCheck;
using Arrakis.Native;

// The device check's console side; tests/gpu/run.sh calls it (see tests/gpu/README.md).
try
{
    var status = TorchNative.Ensure();
    var args0 = CheckArguments.Parse(args);
    Console.WriteLine($"libtorch: {status.Libtorch}; {status.Detail}");
    bool ok = args0.Command == "zoo" ? ZooCheck.Run(args0.Device) : ForwardComparison.Run(args0);
    return ok ? 0 : 1;
}
catch (Exception e) when (e is ArgumentException or InvalidOperationException or TorchNativeLoadException)
{
    Console.Error.WriteLine($"Arrakis.GpuCheck: error: {e.Message}");
    return 2;
}
