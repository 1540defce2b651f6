using System;
using System.Collections.Immutable;
using System.Linq;
using Arrakis.Generators.Common;
using Arrakis.Generators.UseTools.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Arrakis.Generators.UseTools
{
    /// <summary>
    /// For every <c>[UseTools("name", …)]</c> method of a partial bench class, emits a callable form without the
    /// tool parameters that resolves each tool from the bench's registry on every call and calls the method;
    /// with <c>[LogExperiment]</c>/<c>[TestHypothesis]</c> the call goes through the bench's recording path with
    /// the method's source and code version captured here, at compile time. Diagnostics come from
    /// <see cref="UseToolsAnalyzer"/>, which shares <see cref="Parser"/>; this generator stays silent and emits
    /// whatever can be emitted, so a mistake shows as one precise error.
    /// </summary>
    [Generator(LanguageNames.CSharp)]
    public sealed partial class UseToolsGenerator : IIncrementalGenerator
    {
        /// <summary>Names of the pipeline steps, for tests that check what was cached.</summary>
        public static class Steps
        {
            public const string Parse = nameof(Parse);
            public const string ProjectDir = nameof(ProjectDir);
            public const string Relativize = nameof(Relativize);
            public const string GroupByType = nameof(GroupByType);
            public const string Emit = nameof(Emit);
        }

        public void Initialize(IncrementalGeneratorInitializationContext context)
        {
            IncrementalValueProvider<string?> projectDir = context.AnalyzerConfigOptionsProvider
                .Select((options, _) => options.GlobalOptions.TryGetValue(GeneratorInfo.ProjectDirProperty, out string? dir) ? dir : null)
                .WithTrackingName(Steps.ProjectDir);

            IncrementalValuesProvider<ExperimentSpec> experiments = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    GeneratorInfo.UseToolsAttribute,
                    predicate: static (node, _) => node is MethodDeclarationSyntax,
                    transform: static (ctx, ct) => Parser.Parse(
                        (MethodDeclarationSyntax)ctx.TargetNode, (IMethodSymbol)ctx.TargetSymbol, ctx.SemanticModel,
                        catalog: null, diagnostics: null, ct))
                .WithTrackingName(Steps.Parse)
                .Where(static spec => spec is not null)
                .Select(static (spec, _) => spec!)
                .Combine(projectDir)
                .Select(static (pair, _) => pair.Left with
                {
                    Source = pair.Left.Source with { FilePath = Parser.RelativePath(pair.Left.Source.FilePath, pair.Right) },
                })
                .WithTrackingName(Steps.Relativize);

            IncrementalValuesProvider<TypeExperimentsSpec> byType = experiments
                .Collect()
                .SelectMany(static (all, _) => GroupByType(all))
                .WithTrackingName(Steps.GroupByType);

            IncrementalValuesProvider<(string HintName, string Text)> files = byType
                .Select(static (group, _) => (group.Type.HintName + ".UseTools.g.cs", Emitter.Emit(group)))
                .WithTrackingName(Steps.Emit);

            context.RegisterSourceOutput(files, static (spc, file) => spc.AddSource(file.HintName, file.Text));
        }

        internal static ImmutableArray<TypeExperimentsSpec> GroupByType(ImmutableArray<ExperimentSpec> all) =>
            all.GroupBy(e => e.Type)
                .Select(g => new TypeExperimentsSpec(
                    g.Key,
                    g.OrderBy(e => e.Source.FilePath, StringComparer.Ordinal).ThenBy(e => e.Source.Line).ToEquatableArray()))
                .OrderBy(g => g.Type.HintName, StringComparer.Ordinal)
                .ToImmutableArray();
    }
}
