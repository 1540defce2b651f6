using System.CommandLine;
using Arrakis.Cli.Commands;

var root = new RootCommand("Arrakis for .NET: a mechanistic-interpretability workbench on TorchSharp.");
root.Subcommands.Add(InfoCommand.Create());
root.Subcommands.Add(DemoCommand.Create());
root.Subcommands.Add(TrainCommand.Create());
return await root.Parse(args).InvokeAsync();
