namespace Arrakis.Generators
{
    /// <summary>Shared constants of the Arrakis source generators.</summary>
    internal static class GeneratorInfo
    {
        /// <summary>The tool name written into <c>[GeneratedCode]</c>; also how the analyzer recognises generated members.</summary>
        public const string Name = "Arrakis.Generators";

        /// <summary>
        /// The build's <c>$(Version)</c> (this assembly's informational version without a <c>+commit</c> suffix), written
        /// into <c>[GeneratedCode]</c>.
        /// </summary>
        public static readonly string Version = ReadVersion();

        private static string ReadVersion()
        {
            string? version = typeof(GeneratorInfo).Assembly
                .GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), inherit: false)
                .OfType<System.Reflection.AssemblyInformationalVersionAttribute>()
                .FirstOrDefault()?.InformationalVersion;
            if (string.IsNullOrEmpty(version)) return typeof(GeneratorInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
            int plus = version!.IndexOf('+');
            return plus < 0 ? version : version.Substring(0, plus);
        }

        public const string ToolAttribute = "Arrakis.ToolAttribute";
        public const string BenchNamespace = "Arrakis.Bench";
        public const string BenchType = "InterpretabilityBench";
        public const string UseToolsAttribute = "Arrakis.Bench.UseToolsAttribute";
        public const string LogExperimentAttribute = "Arrakis.Bench.LogExperimentAttribute";
        public const string TestHypothesisAttribute = "Arrakis.Bench.TestHypothesisAttribute";
        public const string ProfileModelAttribute = "Arrakis.Bench.ProfileModelAttribute";
        public const string PlotResultsAttribute = "Arrakis.Bench.PlotResultsAttribute";

        /// <summary>The MSBuild property (made visible by Arrakis.Bench's props) that paths are made relative to.</summary>
        public const string ProjectDirProperty = "build_property.ProjectDir";
    }
}
