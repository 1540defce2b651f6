using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Arrakis.Generators.Diagnostics.Suppressors
{
    /// <summary>
    /// Silences ARK000 — the warning that <c>UseToolsAttribute</c>'s constructor carries for compilations in which the
    /// [UseTools] generator does not run. This suppressor ships in the generator's assembly, so it runs exactly where the
    /// generator does: a compilation that sees ARK000 is one the generator never reached.
    /// </summary>
    [DiagnosticAnalyzer(LanguageNames.CSharp)]
    public sealed class GeneratorRunningSuppressor : DiagnosticSuppressor
    {
        public const string GeneratorNotRunningId = "ARK000";

        private static readonly SuppressionDescriptor Running = new SuppressionDescriptor(
            "ARKSPR000", GeneratorNotRunningId, "The Arrakis [UseTools] generator runs in this compilation.");

        public override ImmutableArray<SuppressionDescriptor> SupportedSuppressions { get; } = ImmutableArray.Create(Running);

        public override void ReportSuppressions(SuppressionAnalysisContext context)
        {
            foreach (Diagnostic diagnostic in context.ReportedDiagnostics)
            {
                context.ReportSuppression(Suppression.Create(Running, diagnostic));
            }
        }
    }
}
