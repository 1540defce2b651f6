using Microsoft.CodeAnalysis;

namespace Arrakis.Generators.Diagnostics
{
    /// <summary>
    /// Every diagnostic of the <c>[UseTools]</c> analyzer. Each message says how to fix the problem; IDs are tracked
    /// in AnalyzerReleases.Shipped.md / Unshipped.md.
    /// </summary>
    internal static class Descriptors
    {
        private const string Category = "Arrakis.Bench";

        /// <summary>
        /// Where every descriptor's help link points: the diagnostics table of docs/experiments.md (one anchor per ID),
        /// as a path relative to the repository root, which is where the documentation ships.
        /// </summary>
        public const string HelpLinkBase = "docs/experiments.md#";

        public static readonly DiagnosticDescriptor UnknownTool = Error(
            "ARK001", "Unknown tool name",
            "No tool named '{0}' is visible to this compilation{1} Use the name of a [Tool] contract (known tools: {2}).");

        public static readonly DiagnosticDescriptor ToolWithoutParameter = Error(
            "ARK002", "Tool has no receiving parameter",
            "Tool '{0}' has no parameter to receive it; add a parameter of type '{1}' at the end of '{2}' (tools go to the last parameters, in [UseTools] order)");

        public static readonly DiagnosticDescriptor ToolParameterWrongType = Error(
            "ARK003", "Tool parameter has the wrong type",
            "Parameter '{0}' receives tool '{1}' and must be of type '{2}', not '{3}' (tools go to the last parameters, in [UseTools] order)");

        public static readonly DiagnosticDescriptor DuplicateTool = Error(
            "ARK004", "Tool listed twice",
            "Tool '{0}' is already listed in this [UseTools]; remove this second mention");

        public static readonly DiagnosticDescriptor TypeNotPartial = Error(
            "ARK005", "Experiment type is not partial",
            "Type '{0}' must be declared 'partial' so the [UseTools] generator can add the callable form of '{1}'");

        public static readonly DiagnosticDescriptor TypeNotBench = Error(
            "ARK006", "Experiment type is not a bench",
            "Type '{0}' must derive from Arrakis.Bench.InterpretabilityBench to use [UseTools] on '{1}' (tools are resolved from the bench's Tools)");

        public static readonly DiagnosticDescriptor ToolNameNotConstant = Error(
            "ARK007", "Tool name is not a constant string",
            "A tool name must be a non-null constant string (a literal, a const or nameof); write the tool's name here");

        public static readonly DiagnosticDescriptor HypothesisFunctionMissing = Error(
            "ARK008", "Hypothesis function not found",
            "'{0}' has no method named '{1}'; add 'double {1}({2})' or name an existing method with nameof");

        public static readonly DiagnosticDescriptor HypothesisFunctionWrongSignature = Error(
            "ARK009", "Hypothesis function has the wrong signature",
            "Hypothesis function '{0}' must return double and take the experiment's parameters ({1}), optionally followed by its tools ({2})");

        public static readonly DiagnosticDescriptor GeneratedMemberCollides = Error(
            "ARK010", "Generated member collides with an existing one",
            "The callable form '{0}' that [UseTools] generates for this method collides with an existing member of '{1}'; rename one of them");

        public static readonly DiagnosticDescriptor AttributeWithoutUseTools = Error(
            "ARK011", "Experiment attribute without [UseTools]",
            "[{0}] acts through the callable form that [UseTools] generates; add [UseTools(\"tool\")] to '{1}'");

        public static readonly DiagnosticDescriptor UnsupportedMethod = Error(
            "ARK012", "Unsupported experiment method",
            "Experiment method '{0}' {1}; the generated callable form cannot forward it");

        public static readonly DiagnosticDescriptor InvalidToolName = Error(
            "ARK013", "Tool name breaks the naming rule",
            "'{0}' is not a valid tool name: tool names are case-sensitive and match [a-z][a-z0-9_-]* (a lower-case letter, then lower-case letters, digits, '_' or '-')");

        public static readonly DiagnosticDescriptor InvalidHypothesisSetting = Error(
            "ARK014", "Hypothesis test setting out of range",
            "[TestHypothesis] {0} = {1} is out of range: it must be {2}");

        public static readonly DiagnosticDescriptor AttributeOnLocalFunction = Error(
            "ARK015", "Experiment attribute on a local function or lambda",
            "[{0}] is on {1}, which the generator never reads; make it a method of a partial class deriving from InterpretabilityBench");

        public static readonly DiagnosticDescriptor InvalidExperimentName = Error(
            "ARK016", "Experiment name is not a valid store name",
            "'{0}' cannot name an experiment: the name is its folder in the store, so it must not be empty, '.' or '..', or contain '/' or '\\'");

        /// <summary>Reported when the whole compilation has been seen (the other experiment may be in any file).</summary>
        public static readonly DiagnosticDescriptor DuplicateExperimentName = Error(
            "ARK017", "Two experiments share a store name",
            "Experiments '{0}' and '{1}' would both record their runs as experiment '{2}' and mix them in one store folder; give one of them [LogExperiment(Name = \"...\")]",
            WellKnownDiagnosticTags.CompilationEnd);

        private static DiagnosticDescriptor Error(string id, string title, string message, params string[] tags) =>
            new DiagnosticDescriptor(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true,
                helpLinkUri: HelpLinkBase + id.ToLowerInvariant(), customTags: tags);
    }
}
