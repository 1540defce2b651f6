using System.CommandLine;
using System.Runtime.InteropServices;
using Arrakis.Native;
using TorchSharp;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis info</c>: versions, device, threads and the native runtime's status.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Print versions, the device, thread count and how libtorch was loaded.");
        command.SetAction(_ =>
        {
            var status = TorchNative.Ensure();
            float first;
            using (var x = torch.ones(2, 2))
            using (var y = x.matmul(x))
                first = y[0, 0].item<float>();
            var firstOp = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
            Console.WriteLine($"arrakis        {ArrakisVersion.Product}");
            Console.WriteLine($"plugin API     {ArrakisVersion.PluginApi}");
            Console.WriteLine($".NET           {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
            Console.WriteLine($"TorchSharp     {typeof(torch).Assembly.GetName().Version}");
            Console.WriteLine($"native         {status.Mode}: {status.LibraryPath}");
            Console.WriteLine($"               {status.Detail}");
            Console.WriteLine($"cuda available {torch.cuda.is_available()}");
            Console.WriteLine($"device (auto)  {DeviceResolver.Resolve(DeviceChoice.Auto)}");
            Console.WriteLine($"threads        {torch.get_num_threads()}");
            Console.WriteLine($"first torch op {firstOp.TotalMilliseconds:F0} ms after process start (result {first})");
            return 0;
        });
        return command;
    }
}
