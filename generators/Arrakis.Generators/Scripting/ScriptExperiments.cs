using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Arrakis.Generators.Diagnostics;
using Arrakis.Generators.UseTools;
using Arrakis.Generators.UseTools.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Arrakis.Generators.Scripting
{
    /// <summary>
    /// <c>[UseTools]</c> in C# scripts (.csx), for the script host (Arrakis.Scripting): the same
    /// <see cref="UseToolsGenerator.Parser"/> and <see cref="UseToolsGenerator.Emitter"/> as the source generator, and
    /// the same <see cref="UseToolsAnalyzer"/> for diagnostics. A script compilation cannot take extra syntax trees, so
    /// the host appends <see cref="GenerateCallableForms"/>'s text to the script (after its last line, so the script's
    /// own line numbers stay as they are) and compiles again.
    /// </summary>
    internal static class ScriptExperiments
    {
        /// <summary>
        /// The callable forms of every <c>[UseTools]</c> method declared in <paramref name="compilation"/>'s trees
        /// (the script and the files it <c>#load</c>s), as script code; null when there is none.
        /// </summary>
        /// <param name="baseDirectory">Recorded source paths are made relative to it (the main script's folder).</param>
        public static string? GenerateCallableForms(Compilation compilation, string? baseDirectory, CancellationToken ct)
        {
            var experiments = new List<ExperimentSpec>();
            foreach (SyntaxTree tree in compilation.SyntaxTrees)
            {
                SemanticModel model = compilation.GetSemanticModel(tree);
                foreach (MethodDeclarationSyntax method in tree.GetRoot(ct).DescendantNodes().OfType<MethodDeclarationSyntax>())
                {
                    if (method.AttributeLists.Count == 0) continue;
                    if (model.GetDeclaredSymbol(method, ct) is not IMethodSymbol symbol) continue;
                    ExperimentSpec? spec = UseToolsGenerator.Parser.Parse(method, symbol, model, catalog: null, diagnostics: null, ct);
                    if (spec is null) continue;
                    experiments.Add(spec with
                    {
                        Source = spec.Source with { FilePath = UseToolsGenerator.Parser.RelativePath(spec.Source.FilePath, baseDirectory) },
                    });
                }
            }
            if (experiments.Count == 0) return null;
            return string.Join("\n", UseToolsGenerator.GroupByType(experiments.ToImmutableArray()).Select(UseToolsGenerator.Emitter.Emit));
        }

        /// <summary>The analyzer's diagnostics (ARK001–ARK012) for a script compilation.</summary>
        public static async Task<ImmutableArray<Diagnostic>> AnalyzeAsync(Compilation compilation, CancellationToken ct)
        {
            var analyzers = ImmutableArray.Create<DiagnosticAnalyzer>(new UseToolsAnalyzer());
            var withAnalyzers = compilation.WithAnalyzers(analyzers, options: null);
            return await withAnalyzers.GetAnalyzerDiagnosticsAsync(ct).ConfigureAwait(false);
        }
    }
}
