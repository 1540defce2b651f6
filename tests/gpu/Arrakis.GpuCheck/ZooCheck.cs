using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.GpuCheck;

/// <summary>
/// Each zoo model on the CPU and on the device: the same tokens give the same logits (max |Δ| ≤ 1e-4), a hook sees
/// its activation on the device and its edit takes effect there, and <c>RunWithCache</c> keeps the cache on the device
/// (or moves it when asked).
/// </summary>
internal static class ZooCheck
{
    public const double Tolerance = 1e-4;

    public static bool Run(DeviceChoice deviceChoice)
    {
        var device = DeviceResolver.Resolve(deviceChoice);
        bool ok = true;
        foreach (string name in new[] { "attn-only-1l", "attn-only-2l", "gpt2-mini-language" })
        {
            using var scope = NewDisposeScope();
            using var cpu = HookedTransformer.FromPretrained(name);
            using var gpu = HookedTransformer.FromPretrained(name, new PretrainedOptions { Device = deviceChoice });
            var tokens = randint(0, cpu.Cfg.DVocab, [4, Math.Min(64, cpu.Cfg.NCtx)], dtype: int64, generator: new Generator(0));
            using var noGrad = no_grad();
            var expected = cpu.Forward(tokens);
            var actual = gpu.Forward(tokens.to(device));
            double diff = (actual.cpu() - expected).abs().max().item<float>();
            bool parametersOnDevice = gpu.parameters().All(p => p.device.type == device.type);

            string seenDevice = "none";
            var hook = new Hook("blocks.0.hook_resid_pre", (activation, _) => { seenDevice = activation.device.ToString(); return zeros_like(activation); });
            var edited = gpu.RunWithHooks(tokens.to(device), [hook]);
            bool editTookEffect = (edited - actual).abs().max().item<float>() > 0;

            var (logits, cache) = gpu.RunWithCache(tokens.to(device));
            var devices = cache.Values.Select(t => t.device.type).Distinct().ToList();
            var (_, moved) = gpu.RunWithCache(tokens.to(device), device: CPU);
            bool movedToCpu = moved.Values.All(t => t.device.type == DeviceType.CPU);
            string cacheSummary = $"{cache.Count} activations on {string.Join(",", devices)}; {cache.TotalBytes / 1e6:F1} MB";
            cache.Dispose();
            moved.Dispose();

            bool pass = diff <= Tolerance && parametersOnDevice && seenDevice.StartsWith(device.type.ToString().ToLowerInvariant(), StringComparison.Ordinal)
                        && editTookEffect && devices.SequenceEqual([device.type]) && movedToCpu && logits.device.type == device.type;
            ok &= pass;
            Console.WriteLine($"{(pass ? "PASS" : "FAIL")} zoo {name,-20} CPU vs {device}: max |Δlogit| {diff:E2} (≤ {Tolerance:E0}); parameters on {device}: {parametersOnDevice}; " +
                              $"hook saw {seenDevice}, edit took effect: {editTookEffect}; cache: {cacheSummary}; cache moved to CPU on request: {movedToCpu}");
        }
        return ok;
    }
}
