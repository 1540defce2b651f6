using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using Arrakis.Native;
using Arrakis.Scripting;
using Arrakis.Scripting.Models;
using TorchSharp;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis info [--json]</c>: versions, device, threads, the native runtime's status and the script cache.</summary>
internal static class InfoCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Machine-readable output." };
        var device = new Option<string>("--device")
        {
            Description = "The device to report on: cpu, cuda or auto (cuda and auto may choose a Python environment's libtorch; docs/native-runtime.md).",
            DefaultValueFactory = _ => "auto",
            HelpName = "cpu|cuda|auto",
        };
        var command = new Command("info", "Print versions, the device, thread count, which libtorch was loaded, the GPU, and where compiled scripts are cached.") { json, device };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            var status = TorchNative.Ensure();
            DeviceChoice choice;
            try { choice = DeviceResolver.Parse(parse.GetValue(device) ?? "auto", "--device"); }
            catch (ArgumentException e) { throw new CliException(e.Message.Split(" (Parameter")[0]); }
            var libtorch = status.Libtorch;
            var gpus = torch.cuda.is_available() ? CudaDeviceInfo.List() : [];
            float first;
            using (var x = torch.ones(2, 2))
            using (var y = x.matmul(x))
                first = y[0, 0].item<float>();
            var firstOp = DateTime.Now - System.Diagnostics.Process.GetCurrentProcess().StartTime;
            var host = new ScriptHost();
            var facts = new Dictionary<string, object?>
            {
                ["arrakis"] = ArrakisVersion.Product,
                ["pluginApi"] = ArrakisVersion.PluginApi.ToString(),
                ["dotnet"] = $"{RuntimeInformation.FrameworkDescription} ({RuntimeInformation.RuntimeIdentifier})",
                ["torchSharp"] = typeof(torch).Assembly.GetName().Version?.ToString(),
                ["native"] = $"{status.Mode}: {status.LibraryPath}",
                ["nativeDetail"] = status.Detail,
                ["libtorch"] = libtorch?.Path,
                ["libtorchSource"] = libtorch?.Source.ToString(),
                ["libtorchVersion"] = libtorch?.Version?.ToString(),
                ["libtorchWarning"] = status.Warning,
                ["libtorchNotes"] = status.Notes,
                ["cudaVersion"] = libtorch?.CudaVersion,
                ["cudaAvailable"] = torch.cuda.is_available(),
                ["gpus"] = gpus.Select(g => g.ToString()).ToList(),
                ["device"] = DeviceResolver.Resolve(choice).ToString(),
                ["threads"] = torch.get_num_threads(),
                ["roslyn"] = typeof(ScriptHost).Assembly.GetReferencedAssemblies().FirstOrDefault(a => a.Name == "Microsoft.CodeAnalysis.CSharp.Scripting")?.Version?.ToString(),
                ["scriptCache"] = host.CacheDirectory,
                ["defaultModel"] = ModelCatalog.DefaultModel,
                ["firstTorchOpMs"] = Math.Round(firstOp.TotalMilliseconds),
            };
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(facts, CliJson.Options));
                return Task.FromResult(ExitCodes.Ok);
            }
            Console.WriteLine($"arrakis        {facts["arrakis"]}");
            Console.WriteLine($"plugin API     {facts["pluginApi"]}");
            Console.WriteLine($".NET           {facts["dotnet"]}");
            Console.WriteLine($"TorchSharp     {facts["torchSharp"]}");
            Console.WriteLine($"native         {facts["native"]}");
            Console.WriteLine($"               {status.Detail}");
            Console.WriteLine($"libtorch       {libtorch?.ToString() ?? "(TorchSharp's own loader)"}");
            if (status.Warning is not null)
                Console.WriteLine($"               warning: {status.Warning}");
            foreach (string note in status.Notes)
                Console.WriteLine($"               {note}");
            Console.WriteLine($"cuda available {facts["cudaAvailable"]}{(libtorch?.CudaVersion is { } cuda ? $" (libtorch built with CUDA {cuda})" : "")}");
            foreach (var gpu in gpus)
                Console.WriteLine($"gpu            {gpu}");
            Console.WriteLine($"device ({choice.ToString().ToLowerInvariant()}){new string(' ', Math.Max(1, 7 - choice.ToString().Length))}{facts["device"]}");
            Console.WriteLine($"threads        {facts["threads"]}");
            Console.WriteLine($"scripting      Roslyn {facts["roslyn"]}; compiled scripts cached in {facts["scriptCache"]}");
            Console.WriteLine($"default model  {facts["defaultModel"]}");
            Console.WriteLine($"first torch op {firstOp.TotalMilliseconds:F0} ms after process start (result {first})");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
