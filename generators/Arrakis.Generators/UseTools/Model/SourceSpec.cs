namespace Arrakis.Generators.UseTools.Model
{
    /// <summary>The method's source as captured at compile time (the C# twin of <c>inspect.getsource</c>).</summary>
    /// <param name="Text">Full source lines from the doc comment to the closing brace, dedented, <c>\n</c> line ends.</param>
    /// <param name="Hash">The code version: the first 12 hex digits of SHA-256 over <paramref name="Text"/> in UTF-8.</param>
    /// <param name="FilePath">The file, relative to the project directory with <c>/</c> separators (see <see cref="UseToolsGenerator.Parser.RelativePath"/>).</param>
    /// <param name="Line">The 1-based line of the method's name.</param>
    internal sealed record SourceSpec(string Text, string Hash, string FilePath, int Line);
}
