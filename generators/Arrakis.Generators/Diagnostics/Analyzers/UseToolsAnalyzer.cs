using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Arrakis.Generators.UseTools;
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
            Descriptors.InvalidExperimentName);

        public override void Initialize(AnalysisContext context)
        {
            context.EnableConcurrentExecution();
            context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
            context.RegisterCompilationStartAction(start =>
            {
                var catalog = new Lazy<ToolCatalog>(() => ToolCatalog.Build(start.Compilation), LazyThreadSafetyMode.ExecutionAndPublication);
                start.RegisterSyntaxNodeAction(node => Analyze(node, catalog), SyntaxKind.MethodDeclaration);
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
                    or GeneratorInfo.TestHypothesisAttribute or GeneratorInfo.ProfileModelAttribute or GeneratorInfo.PlotResultsAttribute)
                {
                    string shortName = constructor.ContainingType.Name.Substring(0, constructor.ContainingType.Name.Length - "Attribute".Length);
                    context.ReportDiagnostic(Diagnostic.Create(Descriptors.AttributeOnLocalFunction, attribute.GetLocation(), shortName, what));
                }
            }
        }

        private static void Analyze(SyntaxNodeAnalysisContext context, Lazy<ToolCatalog> catalog)
        {
            var syntax = (MethodDeclarationSyntax)context.Node;
            if (syntax.AttributeLists.Count == 0) return;
            if (context.SemanticModel.GetDeclaredSymbol(syntax, context.CancellationToken) is not IMethodSymbol method) return;

            if (UseToolsGenerator.Parser.FindAttribute(method, GeneratorInfo.UseToolsAttribute) is not null)
            {
                var diagnostics = new List<Diagnostic>();
                UseToolsGenerator.Parser.Parse(syntax, method, context.SemanticModel, catalog.Value, diagnostics, context.CancellationToken);
                foreach (Diagnostic diagnostic in diagnostics) context.ReportDiagnostic(diagnostic);
                return;
            }

            foreach (AttributeData attribute in method.GetAttributes())
            {
                string? name = attribute.AttributeClass?.ToDisplayString();
                if (name is GeneratorInfo.LogExperimentAttribute or GeneratorInfo.TestHypothesisAttribute or GeneratorInfo.ProfileModelAttribute or GeneratorInfo.PlotResultsAttribute)
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
