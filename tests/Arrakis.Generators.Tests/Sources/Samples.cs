namespace Arrakis.Generators.Tests;

/// <summary>Source texts the generator tests compile.</summary>
internal static class Samples
{
    public const string Tools = """
        using Arrakis;

        namespace Lab.Tools;

        [Tool("decomposer")]
        public interface IResidualDecomposer
        {
            double[] DecomposeResidual(int[] inputIds, int layerIdx, int topK = 10);
        }

        [Tool("logit")]
        public interface ILogitAttributor
        {
            double[] LogitAttribution(int[] inputIds, int targetIdx);
            double[] TrackTokenCirculation(int[] inputIds, int targetToken, int nLayers = 5);
        }

        [Tool("composer")]
        public interface IAttentionComposer
        {
            double HeadComposition((int Layer, int Head) head1, (int Layer, int Head) head2, double alpha);
            double AttentionPathPatching(int[] inputIds, (int Layer, int Head) head1, (int Layer, int Head) head2);
        }
        """;

    /// <summary>The C# twins of the seed examples 000, 002 and 003.</summary>
    public const string Seeds = """
        using System.Collections.Generic;
        using Arrakis;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab;

        public partial class MIExperiment(HookedTransformer model, IToolRegistry tools) : InterpretabilityBench(model, tools: tools)
        {
            public int[] InputIds { get; set; } = [1, 2, 3];

            /// <summary>Seed 000: the residual stream at one layer, decomposed.</summary>
            [UseTools("decomposer")] // the tool name to be used
            public double[] TestResidualDecomposer(int[] inputIds, int layerIdx, IResidualDecomposer decomposer)
            {
                var rd = decomposer.DecomposeResidual(inputIds, layerIdx);
                return rd;
            }

            /// <summary>Seed 002: direct moves and logit attribution of one target.</summary>
            [UseTools("logit"), LogExperiment]
            public Dictionary<string, double[]> TestLogitAttributor(int[] inputIds, int targetIdx, int nLayers, ILogitAttributor logit)
            {
                var directMoves = logit.TrackTokenCirculation(inputIds, targetIdx, nLayers);
                var logitAttribution = logit.LogitAttribution(inputIds, targetIdx);
                return new() { ["direct_moves"] = directMoves, ["logit_attribution"] = logitAttribution };
            }

            /// <summary>Seed 003: composition and path patching of two heads.</summary>
            [UseTools("composer")]
            public Dictionary<string, double> TestAttentionComposer((int Layer, int Head) head1, (int Layer, int Head) head2, double alpha, IAttentionComposer composer)
            {
                var hc = composer.HeadComposition(head1, head2, alpha);
                var app = composer.AttentionPathPatching(InputIds, head1, head2);
                return new() { ["head_composition"] = hc, ["attention_path_patching"] = app };
            }
        }
        """;

    /// <summary>Every return shape, several tools, defaults, keywords as names, a hypothesis, a nested generic type.</summary>
    public const string Shapes = """
        using System.Threading.Tasks;
        using Arrakis.Bench;
        using Lab.Tools;

        namespace Lab.Shapes;

        public enum Mode { Fast, Careful = 3 }

        public static partial class Outer
        {
            public partial class Sweep<T>(Arrakis.HookedTransformer model) : InterpretabilityBench(model) where T : class
            {
                [UseTools("decomposer", "logit")]
                public async Task<double> Both(int layer, string? label, IResidualDecomposer decomposer, ILogitAttributor logit)
                {
                    await Task.Yield();
                    return decomposer.DecomposeResidual([layer], layer)[0] + logit.LogitAttribution([layer], 0)[0];
                }

                [UseTools("decomposer"), LogExperiment]
                public async Task Touch(int @class, IResidualDecomposer decomposer)
                {
                    await Task.Yield();
                    decomposer.DecomposeResidual([@class], 0);
                }

                [UseTools("decomposer")]
                [ProfileModel(Granularity.Layer | Granularity.Component)]
                public void Forget(double scale = 0.5, Mode mode = Mode.Careful, string name = "a\"b", IResidualDecomposer decomposer = null!)
                {
                }

                [UseTools("logit"), LogExperiment]
                internal ValueTask<int> Count(float threshold = 1.5f, decimal price = 2.25m, ILogitAttributor logit = null!) => new(1);

                [UseTools("logit"), LogExperiment, TestHypothesis(nameof(Clean), nameof(Corrupted), Samples = 20, Alpha = 0.01)]
                public double LogitDiff(int target, ILogitAttributor logit) => logit.LogitAttribution([target], target)[0];

                private double Clean(int target) => 1.0;

                private static double Corrupted(int target, ILogitAttributor logit) => 0.0;
            }
        }
        """;
}
