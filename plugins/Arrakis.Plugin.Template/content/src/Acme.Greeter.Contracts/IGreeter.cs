using Arrakis;

namespace Acme.Greeter.Contracts;

/// <summary>
/// The contract of the <c>greet</c> tool: experiments resolve it with
/// <c>registry.Get&lt;IGreeter&gt;("greet")</c>. Change the members to your tool's operations.
/// </summary>
[Tool("greet")]
public interface IGreeter
{
    /// <summary>Runs the tool on <paramref name="input"/>.</summary>
    /// <param name="input">What to work on.</param>
    /// <returns>The result (contract or primitive types only: the host serialises results).</returns>
    GreeterResult Run(string input);
}

/// <summary>What the tool returns.</summary>
/// <param name="Output">The text produced.</param>
/// <param name="Length">Its length in characters.</param>
public sealed record GreeterResult(string Output, int Length);
