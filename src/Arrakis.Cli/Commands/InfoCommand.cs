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
            Console.WriteLine($"arrakis        {ArrakisVersion.Product}");
            Console.WriteLine($"plugin API     {ArrakisVersion.PluginApi}");
            Console.WriteLine($".NET           {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})");
            Console.WriteLine($"TorchSharp     {typeof(torch).Assembly.GetName().Version}");
            Console.WriteLine($"native         {status.Mode}: {status.LibraryPath}");
            Console.WriteLine($"               {status.Detail}");
            Console.WriteLine($"cuda available {torch.cuda.is_available()}");
            Console.WriteLine($"device (auto)  {DeviceResolver.Resolve(DeviceChoice.Auto)}");
            Console.WriteLine($"threads        {torch.get_num_threads()}");
            return 0;
        });
        return command;
    }
}
