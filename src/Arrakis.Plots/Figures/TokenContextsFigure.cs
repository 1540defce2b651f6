namespace Arrakis.Plots;

/// <summary>One highlighted text: tokens with one value each (a feature's activation, an attribution).</summary>
/// <param name="Label">What this context is (e.g. "example 3, max 4.2").</param>
/// <param name="Tokens">The tokens as text.</param>
/// <param name="Values">One value per token; the colour's strength is |value| / the figure's largest |value|.</param>
public sealed record TokenContext(string Label, IReadOnlyList<string> Tokens, IReadOnlyList<double> Values);

/// <summary>Token contexts with per-token highlight: a feature dashboard's max-activating examples, attribution per input token.</summary>
public sealed record TokenContextsFigure(string Title, IReadOnlyList<TokenContext> Contexts) : Figure(Title)
{
    /// <inheritdoc />
    public override string Kind => "contexts";

    /// <inheritdoc />
    public override void Validate()
    {
        Require(Contexts.Count > 0, nameof(Contexts), $"Token contexts '{Title}' has no contexts.");
        Require(Contexts.Count <= FigureLimits.MaxContexts, nameof(Contexts), $"Token contexts '{Title}' has {Contexts.Count} contexts, over FigureLimits.MaxContexts ({FigureLimits.MaxContexts}).");
        foreach (var c in Contexts)
        {
            Require(c.Tokens.Count == c.Values.Count, nameof(Contexts), $"Token contexts '{Title}': context '{c.Label}' has {c.Tokens.Count} tokens but {c.Values.Count} values.");
            Require(c.Tokens.Count <= FigureLimits.MaxContextTokens, nameof(Contexts),
                $"Token contexts '{Title}': context '{c.Label}' has {c.Tokens.Count} tokens, over FigureLimits.MaxContextTokens ({FigureLimits.MaxContextTokens}).");
        }
    }

    /// <summary>The largest |value| over every context (1 when all are 0).</summary>
    public double Scale()
    {
        double m = Contexts.SelectMany(c => c.Values).Where(double.IsFinite).Select(Math.Abs).DefaultIfEmpty(0).Max();
        return m > 0 ? m : 1;
    }
}
