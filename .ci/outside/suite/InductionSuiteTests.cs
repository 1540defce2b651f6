using Arrakis;
using Xunit;

namespace Outside.Suite;

public sealed class InductionSuiteTests : IDisposable
{
    private readonly string _saveDir = Directory.CreateTempSubdirectory("outside-suite-").FullName;

    public void Dispose() => Directory.Delete(_saveDir, recursive: true);

    [Fact]
    public void The_induction_model_prefers_the_repeated_token_and_the_run_is_recorded()
    {
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        var suite = new InductionSuite(model, _saveDir);

        double lead = suite.RepeatedTokenLead(half: 20);

        Assert.True(lead > 0, $"lead {lead}");
        var run = suite.LastRun!;
        Assert.Equal("ok", run.Status);
        Assert.True(run.Hypothesis!.RejectNull, $"p = {run.Hypothesis.P}");
        Assert.True(run.Hypothesis.AlternativeMean > run.Hypothesis.NullMean);
        Assert.Single(suite.Store.ReadRuns(run.Experiment));
    }

    [Fact]
    public void The_decomposer_splits_the_stream_of_a_two_layer_attention_only_model()
    {
        using var model = HookedTransformer.FromPretrained("attn-only-2l");
        var suite = new InductionSuite(model, _saveDir);
        var (tokens, _, _) = suite.Draw(8);
        using (tokens)
        {
            // embed, pos_embed, the 4 heads of layer 0 and the biases at least.
            Assert.True(suite.ComponentCount(tokens) >= 6);
        }
        Assert.Equal("ok", suite.LastRun!.Status);
    }
}
