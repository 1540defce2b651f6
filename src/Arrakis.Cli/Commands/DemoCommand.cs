using System.CommandLine;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Cli.Commands;

/// <summary>
/// <c>arrakis demo</c>: the C# twin of Arrakis's <c>HookedAutoConfig(name="llama")</c> example: a random model, one cached
/// forward pass, and the checks that make the cache trustworthy (the decomposition sums to the stream, DLA to the logit).
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var family = new Option<string>("--family") { Description = $"Model family ({string.Join(", ", HookedAutoConfig.Families)}).", DefaultValueFactory = _ => "llama" };
        var command = new Command("demo", "Build a small random model, run it with a full activation cache and check the decompositions.") { family };
        command.SetAction(parse =>
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            var config = HookedAutoConfig.Create(parse.GetValue(family)!, seed: 0);
            using var model = new HookedAutoModel(config);
            var inputIds = randint(0, 50256, [1, 50], generator: new Generator(0));
            var (logits, cache) = model.RunWithCache(inputIds);
            using (cache)
            {
                Console.WriteLine($"first cached forward after {(sinceStart + clock.Elapsed).TotalMilliseconds:F0} ms from process start");
                Console.WriteLine($"model      {config.ModelName}: {config.NLayers} layers, d_model {config.DModel}, {config.NHeads} heads ({config.EffectiveKeyValueHeads} key/value), d_vocab {config.DVocab}");
                Console.WriteLine($"cache      {cache.Count} activations, {cache.TotalBytes / 1e6:F1} MB");
                Console.WriteLine($"pattern    {cache["pattern", 0].shape.Str()} at blocks.0.attn.hook_pattern");
                long next = logits[0, -1].argmax().item<long>();
                using var full = cache.GetFullResidDecomposition(posSlice: -1);
                var attributions = cache.LogitAttrs(full.Stack, next, posSlice: -1)[.., 0];
                double reconstruction = (full.Stack.sum(0L) - cache["resid_post", -1][.., -1]).abs().max().item<float>();
                double dlaError = (attributions.sum() - (logits[0, -1, next] - model.EffectiveUnembedBias[next])).abs().item<float>();
                Console.WriteLine($"decompose  {full.Labels.Count} components (heads, neurons, embed, bias); |Σ − resid| = {reconstruction:E1}");
                Console.WriteLine($"DLA        top token {next}: |Σ attributions − (logit − bias)| = {dlaError:E1}");
                foreach (var (label, value) in full.Labels.Zip(attributions.data<float>().ToArray()).OrderByDescending(p => Math.Abs(p.Second)).Take(5))
                    Console.WriteLine($"           {label,-10} {value,9:F4}");
            }
            return 0;
        });
        return command;
    }

    private static string Str(this long[] shape) => $"[{string.Join(", ", shape)}]";
}
