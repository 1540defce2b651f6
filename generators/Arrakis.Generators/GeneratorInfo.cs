namespace Arrakis.Generators
{
    /// <summary>Shared constants of the Arrakis source generators.</summary>
    internal static class GeneratorInfo
    {
        /// <summary>The tool name written into <c>[GeneratedCode]</c>; also how the analyzer recognises generated members.</summary>
        public const string Name = "Arrakis.Generators";

        public const string Version = "0.1.0";

        public const string ToolAttribute = "Arrakis.ToolAttribute";
        public const string BenchNamespace = "Arrakis.Bench";
        public const string BenchType = "InterpretabilityBench";
        public const string UseToolsAttribute = "Arrakis.Bench.UseToolsAttribute";
        public const string LogExperimentAttribute = "Arrakis.Bench.LogExperimentAttribute";
        public const string TestHypothesisAttribute = "Arrakis.Bench.TestHypothesisAttribute";
        public const string ProfileModelAttribute = "Arrakis.Bench.ProfileModelAttribute";

        /// <summary>The MSBuild property (made visible by Arrakis.Bench's props) that paths are made relative to.</summary>
        public const string ProjectDirProperty = "build_property.ProjectDir";
    }
}
