namespace Arrakis.Generators
{
    /// <summary>Shared constants of the Arrakis source generators.</summary>
    internal static class GeneratorInfo
    {
        public const string ToolAttribute = "Arrakis.ToolAttribute";
    }
}
