using System.CommandLine;
using Arrakis.Cli;
using Arrakis.Cli.Commands;

ExitWatch.Start();
int exitCode = await Cli.RunAsync(args);
ExitWatch.Finished();
return exitCode;

namespace Arrakis.Cli
{
    /// <summary>The <c>arrakis</c> command tree.</summary>
    public static class Cli
    {
        /// <summary><c>--verbose</c>: stack traces with errors.</summary>
        internal static readonly Option<bool> Verbose = new("--verbose", "-v") { Description = "Show stack traces with errors.", Recursive = true };

        /// <summary>
        /// <c>--libtorch DIR</c>: a PyTorch install's <c>torch/lib</c> to run on. Read by the native loader from the process's
        /// command line before any command runs (Arrakis.Native.LibtorchRequest); declared here so every command accepts it.
        /// </summary>
        internal static readonly Option<string?> Libtorch = new("--libtorch")
        {
            Description = "Run on this libtorch folder (a PyTorch install's torch/lib) instead of the bundled one; also ARRAKIS_LIBTORCH.",
            HelpName = "DIR",
            Recursive = true,
        };

        /// <summary>Builds the command tree.</summary>
        public static RootCommand Build()
        {
            var root = new RootCommand("Arrakis for .NET: a mechanistic-interpretability workbench on TorchSharp.") { Verbose, Libtorch };
            root.Subcommands.Add(RunCommand.Create());
            root.Subcommands.Add(ReplCommand.Create());
            root.Subcommands.Add(ToolsCommand.Create());
            root.Subcommands.Add(ModelsCommand.Create());
            root.Subcommands.Add(ExperimentsCommand.Create());
            root.Subcommands.Add(ReportCommand.Create());
            root.Subcommands.Add(InfoCommand.Create());
            root.Subcommands.Add(DemoCommand.Create());
            root.Subcommands.Add(TrainCommand.Create());
            return root;
        }

        /// <summary>Parses and runs <paramref name="args"/>; returns the exit code.</summary>
        public static Task<int> RunAsync(string[] args) =>
            // Ctrl+C is handled by the commands that run scripts (exit 130, the script's own cancellation token).
            Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
    }
}
