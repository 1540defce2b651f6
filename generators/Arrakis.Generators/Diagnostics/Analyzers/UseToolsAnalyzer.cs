using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Arrakis.Generators.UseTools;
using Arrakis.Generators.UseTools.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Arrakis.Generators.Diagnostics
{
    /// <summary>
    /// Reports every problem of <c>[UseTools]</c>/<c>[LogExperiment]</c>/<c>[TestHypothesis]</c>/<c>[ProfileModel]</c> methods, using the
    /// generator's own <see cref="UseToolsGenerator.Parser"/> plus the compilation's tool catalogue. Diagnostics
    /// live here rather than in the generator so they can be suppressed and do not defeat the generator's caching.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class UseToolsAnalyzer : DiagnosticAnalyzer
    {
        public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
            Descriptors.UnknownTool,
            Descriptors.ToolWithoutParameter,
            Descriptors.ToolParameterWrongType,
            Descriptors.DuplicateTool,
            Descriptors.TypeNotPartial,
            Descriptors.TypeNotBench,
            Descriptors.ToolNameNotConstant,
            Descriptors.HypothesisFunctionMissing,
            Descriptors.HypothesisFunctionWrongSignature,
            Descriptors.GeneratedMemberCollides,
            Descriptors.AttributeWithoutUseTools,
            Descriptors.UnsupportedMethod,
            Descriptors.InvalidToolName,
            Descriptors.InvalidHypothesisSetting,
            Descriptors.AttributeOnLocalFunction,
            Descriptors.InvalidExperimentName,
            Descriptors.DuplicateExperimentName);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var catalog = new Lazy<ToolCatalog>(() => ToolCatalog.Build(start.Compilation), LazyThreadSafetyMode.ExecutionAndPublication);
                var recorded = new ConcurrentBag<RecordedExperiment>();
                start.RegisterSyntaxNodeAction(node => Analyze(node, catalog, recorded), SyntaxKind.MethodDeclaration);
                start.RegisterCompilationEndAction(end => ReportSharedNames(end, recorded));
                start.RegisterSyntaxNodeAction(AnalyzeLocal,
                    SyntaxKind.LocalFunctionStatement, SyntaxKind.ParenthesizedLambdaExpression, SyntaxKind.SimpleLambdaExpression);
            });
        }

        /// <summary>[UseTools] and the experiment attributes on a local function or a lambda: nothing reads them there.</summary>
        private static void AnalyzeLocal(SyntaxNodeAnalysisContext context)
        {
            SyntaxList<AttributeListSyntax> lists = context.Node switch
            {
                LocalFunctionStatementSyntax local => local.AttributeLists,
                LambdaExpressionSyntax lambda => lambda.AttributeLists,
                _ => default,
            };
            if (lists.Count == 0) return;
            string what = context.Node is LocalFunctionStatementSyntax f ? $"the local function '{f.Identifier.ValueText}'" : "a lambda";
            foreach (AttributeSyntax attribute in lists.SelectMany(l => l.Attributes))
            {
                if (context.SemanticModel.GetSymbolInfo(attribute, context.CancellationToken).Symbol is not IMethodSymbol constructor) continue;
                string? name = constructor.ContainingType.ToDisplayString();
                if (name is GeneratorInfo.UseToolsAttribute or GeneratorInfo.LogExperimentAttribute
                    or GeneratorInfo.TestHypothesisAttribute or GeneratorInfo.ProfileModelAttribute)
                {
                    string shortName = constructor.ContainingType.Name.Substring(0, constructor.ContainingType.Name.Length - "Attribute".Length);
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.AttributeOnLocalFunction, attribute.GetLocation(), shortName, what));
                }
            }
        }

        /// <summary>A recorded experiment's store name, where it is declared and what the user calls it.</summary>
        private sealed class RecordedExperiment
        {
            public RecordedExperiment(string name, string method, Location location) => (Name, Method, Location) = (name, method, location);
            public string Name { get; }
            public string Method { get; }
            public Location Location { get; }
        }

        /// <summary>
        /// ARK017: two recorded experiments of this compilation with one store name (the same class name in two
        /// namespaces, overloads, or an explicit name used twice) would append to one runs file. Each one after the
        /// first in source order is reported, naming the first.
        /// </summary>
        /// <summary><c>Namespace.Type.Method(int[], IResidualDecomposer)</c>: where it is, and which overload.</summary>
        private static string Describe(IMethodSymbol method) =>
            method.ContainingType.ToDisplayString() + "." + method.Name + "("
            + string.Join(", ", method.Parameters.Select(p => p.Type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat))) + ")";

        private static void ReportSharedNames(CompilationAnalysisContext context, ConcurrentBag<RecordedExperiment> recorded)
        {
            foreach (IGrouping<string, RecordedExperiment> group in recorded.GroupBy(e => e.Name, StringComparer.Ordinal))
            {
                RecordedExperiment[] ordered = group
                    .OrderBy(e => e.Location.SourceTree?.FilePath, StringComparer.Ordinal)
                    .ThenBy(e => e.Location.SourceSpan.Start)
                    .ToArray();
                for (int i = 1; i < ordered.Length; i++)
                {
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.DuplicateExperimentName, ordered[i].Location,
                        ordered[i].Method, ordered[0].Method, group.Key));
                }
            }
        }

        private static void Analyze(SyntaxNodeAnalysisContext context, Lazy<ToolCatalog> catalog, ConcurrentBag<RecordedExperiment> recorded)
        {
            var syntax = (MethodDeclarationSyntax)context.Node;
            if (syntax.AttributeLists.Count == 0) return;
            if (context.SemanticModel.GetDeclaredSymbol(syntax, context.CancellationToken) is not IMethodSymbol method) return;

            if (UseToolsGenerator.Parser.FindAttribute(method, GeneratorInfo.UseToolsAttribute) is not null)
            {
                var diagnostics = new List<Diagnostic>();
                ExperimentSpec? spec = UseToolsGenerator.Parser.Parse(syntax, method, context.SemanticModel, catalog.Value, diagnostics, context.CancellationToken);
                if (spec is { IsRecorded: true })
                {
                    recorded.Add(new RecordedExperiment(spec.ExperimentName,
                        Describe(method), syntax.Identifier.GetLocation()));
                }
                foreach (Diagnostic diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
                return;
            }

            foreach (AttributeData attribute in method.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is GeneratorInfo.LogExperimentAttribute or GeneratorInfo.TestHypothesisAttribute or GeneratorInfo.ProfileModelAttribute)
                {
                    Location location = attribute.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken).GetLocation()
                        ?? syntax.Identifier.GetLocation();
                    string shortName = attribute.AttributeClass!.Name.Substring(0, attribute.AttributeClass.Name.Length - "Attribute".Length);
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.AttributeWithoutUseTools, location, shortName, method.Name));
                }
            }
        }
    }
}
