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
        var command = new Command("info", "Print versions, the device, thread count, how libtorch was loaded and where compiled scripts are cached.") { json };
        command.SetAction((parse, _) => CliErrors.Guard(parse.GetValue(Cli.Verbose), () =>
        {
            var status = TorchNative.Ensure();
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
                ["cudaAvailable"] = torch.cuda.is_available(),
                ["deviceAuto"] = DeviceResolver.Resolve(DeviceChoice.Auto).ToString(),
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
            Console.WriteLine($"cuda available {facts["cudaAvailable"]}");
            Console.WriteLine($"device (auto)  {facts["deviceAuto"]}");
            Console.WriteLine($"threads        {facts["threads"]}");
            Console.WriteLine($"scripting      Roslyn {facts["roslyn"]}; compiled scripts cached in {facts["scriptCache"]}");
            Console.WriteLine($"default model  {facts["defaultModel"]}");
            Console.WriteLine($"first torch op {firstOp.TotalMilliseconds:F0} ms after process start (result {first})");
            return Task.FromResult(ExitCodes.Ok);
        }));
        return command;
    }
}
