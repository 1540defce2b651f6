using Arrakis.Training;
using Arrakis.Training.Tasks;
using static TorchSharp.torch;

namespace Arrakis.Tests.Zoo;

/// <summary>Loads gpt2-mini-language and its tokenizer once for the tests of this class.</summary>
public sealed class LanguageModel : IDisposable
{
    public LanguageModel()
    {
        Model = HookedTransformer.FromPretrained("gpt2-mini-language");
        Tokenizer = (Arrakis.Tokenizers.WordLevelTokenizer)Model.Tokenizer!.Inner;
    }

    public HookedTransformer Model { get; }
    public Arrakis.Tokenizers.WordLevelTokenizer Tokenizer { get; }
    public LanguageWorld World => LanguageWorld.Default;

    public void Dispose() => Model.Dispose();
}

/// <summary>
/// The behaviours gpt2-mini-language was trained for are really there: indirect-object identification generalises to
/// name pairs it never saw together, the invented facts are recalled, and greater-than puts its mass on later years.
/// </summary>
public sealed class LanguageZooTests(LanguageModel fixture) : IClassFixture<LanguageModel>
{
    [Fact]
    public void TheShippedTokenizer_IsTheWorldsVocabulary()
    {
        Assert.Equal(fixture.World.Tokenizer.Tokens, fixture.Tokenizer.Tokens);
        Assert.Equal(fixture.Tokenizer.VocabSize, fixture.Model.Cfg.DVocab);
    }

    [Fact]
    public void Ioi_PicksTheIndirectObject_OnHeldOutNamePairs()
    {
        var random = new SeededRandom(777, 1);
        var prompts = Enumerable.Range(0, 200).Select(_ => fixture.World.RandomIoiPrompt(random, heldOut: true)).ToList();
        Assert.All(prompts, p => Assert.True(fixture.World.IsHeldOut(p.Answer, p.Distractor!)));
        // Both orders of the names in the first clause are represented.
        Assert.Contains(prompts, p => p.Text.IndexOf(p.Answer, StringComparison.Ordinal) < p.Text.IndexOf(p.Distractor!, StringComparison.Ordinal));
        Assert.Contains(prompts, p => p.Text.IndexOf(p.Answer, StringComparison.Ordinal) > p.Text.IndexOf(p.Distractor!, StringComparison.Ordinal));

        using var scope = NewDisposeScope();
        var logProbs = PromptScoring.LastLogProbs(fixture.Model, fixture.Tokenizer, prompts.Select(p => p.Text).ToList());
        var predicted = logProbs.argmax(-1).data<long>().ToArray();
        int correct = prompts.Where((p, i) => predicted[i] == fixture.Tokenizer.Id(p.Answer)).Count();
        double accuracy = correct / (double)prompts.Count;
        var wrong = prompts.Where((p, i) => predicted[i] != fixture.Tokenizer.Id(p.Answer)).Take(3)
            .Select(p => $"'{p.Text}' → {fixture.Tokenizer.IdToToken((int)predicted[prompts.IndexOf(p)])} (want {p.Answer})");
        Assert.True(accuracy >= 0.95, $"IOI accuracy on held-out pairs {accuracy:P1}; e.g. {string.Join("; ", wrong)}");
    }

    [Fact]
    public void FactualRecall_ReturnsTheTrainedFacts()
    {
        var facts = fixture.World.Facts;
        using var scope = NewDisposeScope();
        var logProbs = PromptScoring.LastLogProbs(fixture.Model, fixture.Tokenizer, facts.Select(f => f.Prompt).ToList());
        var predicted = logProbs.argmax(-1).data<long>().ToArray();
        var misses = facts.Where((f, i) => predicted[i] != fixture.Tokenizer.Id(f.Answer)).ToList();
        double accuracy = 1 - misses.Count / (double)facts.Count;
        Assert.True(accuracy >= 0.95,
            $"fact accuracy {accuracy:P1} over {facts.Count} facts; e.g. {string.Join("; ", misses.Take(3).Select(f => $"'{f.Prompt}' want {f.Answer}"))}");
    }

    [Fact]
    public void GreaterThan_PutsItsMassOnLaterYears()
    {
        var random = new SeededRandom(777, 2);
        var prompts = Enumerable.Range(0, 200).Select(_ => fixture.World.RandomGreaterThanPrompt(random)).ToList();
        using var scope = NewDisposeScope();
        var probs = PromptScoring.LastLogProbs(fixture.Model, fixture.Tokenizer, prompts.Select(p => p.Text).ToList()).exp();
        double total = 0;
        for (int i = 0; i < prompts.Count; i++)
        {
            double valid = 0;
            for (int year = prompts[i].StartYear + 1; year <= 99; year++)
                valid += probs[i, fixture.Tokenizer.Id(year.ToString("D2"))].item<float>();
            total += valid;
        }
        double mean = total / prompts.Count;
        Assert.True(mean >= 0.8, $"mean probability on years after the start year {mean:F3}");
        Assert.Equal(mean, PromptScoring.GreaterThanValidMass(fixture.Model, fixture.Tokenizer, prompts), 4);
    }
}
