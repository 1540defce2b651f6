using System.CommandLine;
using Arrakis.Scripting;
using Arrakis.Scripting.Models;

namespace Arrakis.Cli.Commands;

/// <summary>The options <c>run</c> and <c>repl</c> share, and how they become <see cref="ScriptGlobals"/>.</summary>
internal sealed class ScriptCommandOptions
{
    public readonly Option<string?> Model = new("--model", "-m")
    {
        Description = $"A model name (see `arrakis models`) or a model folder. Default: {ModelCatalog.DefaultModel}.",
        HelpName = "NAME|DIR",
    };

    public readonly Option<string> Device = new("--device")
    {
        Description = "Where tensors live: cpu, cuda or auto.",
        DefaultValueFactory = _ => "auto",
        HelpName = "cpu|cuda|auto",
    };

    public readonly Option<string> Dtype = new("--dtype")
    {
        Description = "The model's parameter dtype: float32, bfloat16 or float16.",
        DefaultValueFactory = _ => "float32",
        HelpName = "float32|bfloat16|float16",
    };

    public readonly Option<string[]> Plugins = new("--plugins")
    {
        Description = "Plugin folders to load tools from (repeatable).",
        HelpName = "DIR",
        AllowMultipleArgumentsPerToken = true,
    };

    public readonly Option<string> Out = new("--out", "-o")
    {
        Description = "Where experiment records are saved.",
        DefaultValueFactory = _ => "experiments",
        HelpName = "DIR",
    };

    public readonly Option<bool> NoCache = new("--no-cache") { Description = "Compile the script even if a compiled copy is cached." };

    public readonly Option<bool> Timings = new("--timings") { Description = "Print compile and run times on standard error." };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Device);
        command.Options.Add(Dtype);
        command.Options.Add(Plugins);
        command.Options.Add(Out);
        command.Options.Add(NoCache);
        command.Options.Add(Timings);
    }

    /// <summary>Checks the cheap things first (device, model name, plugin folders) so bad input fails before any compile or load.</summary>
    /// <exception cref="CliException">Bad input.</exception>
    public Session Resolve(ParseResult parse, IReadOnlyList<string> scriptArgs)
    {
        DeviceChoice device;
        try { device = DeviceResolver.Parse(parse.GetValue(Device) ?? "auto", "--device"); }
        catch (ArgumentException e) { throw new CliException(e.Message.Split(" (Parameter")[0]); }

        if (device == DeviceChoice.Cuda)
        {
            // Asked for explicitly: fail now, not at the script's first use of the model.
            try { DeviceResolver.Resolve(device); }
            catch (InvalidOperationException e) { throw new CliException(e.Message); }
        }

        TorchSharp.torch.ScalarType dtype;
        try { dtype = DtypeResolver.Parse(parse.GetValue(Dtype) ?? "float32", "--dtype"); }
        catch (ArgumentException e) { throw new CliException(e.Message.Split(" (Parameter")[0]); }

        ModelSource model;
        try { model = ModelCatalog.Resolve(parse.GetValue(Model), device, dtype); }
        catch (ArgumentException e) { throw new CliException(e.Message); }

        string outDir = parse.GetValue(Out) ?? "experiments";
        var plugins = Arrakis.Cli.Plugins.Load(parse.GetValue(Plugins) ?? []);
        var options = new ScriptHostOptions { UseCache = !parse.GetValue(NoCache) };
        foreach (string contract in Arrakis.Cli.Plugins.ContractPaths(plugins)) options.ReferencePaths.Add(contract);
        var host = new ScriptHost(options);
        var progress = ConsoleProgress.ForStandardError();
        Func<ScriptGlobals> globals = () => new ScriptGlobals(model.Load, model.LoadTokenizer, plugins.Registry, scriptArgs, outDir,
            progress: progress, modelName: model.Name, pluginReport: () => plugins.Report);
        return new Session(host, globals, model.Name, device, parse.GetValue(Timings), plugins);
    }

    internal sealed record Session(ScriptHost Host, Func<ScriptGlobals> NewGlobals, string ModelName, DeviceChoice Device, bool Timings,
        Arrakis.Bench.Plugins.PluginHost Plugins) : IDisposable
    {
        public void Dispose() => Plugins.Dispose();
    }
}
