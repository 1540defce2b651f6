using Acme.Greeter.Contracts;

namespace Acme.Greeter;

/// <summary>
/// The <c>greet</c> tool. The host creates one instance per load (public parameterless constructor) and may call
/// it from several threads; a new build replaces it, so keep no state that must survive a reload.
/// </summary>
public sealed class GreeterTool : IGreeter
{
    /// <inheritdoc />
    public GreeterResult Run(string input)
    {
        var output = $"Hello, {input}!";
        return new GreeterResult(output, output.Length);
    }
}
