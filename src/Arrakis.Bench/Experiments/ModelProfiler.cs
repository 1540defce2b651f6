using System.Diagnostics;
using Arrakis.Hooks;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Bench;

/// <summary>
/// Measures a model through its hook points while attached: a unit (layer or component) starts at its first hook
/// point and ends at its last; the activations through its hook points are summed as its activation bytes.
/// On CUDA each hook synchronises the device first, so times are kernel times, not launch times.
/// </summary>
internal sealed class ModelProfiler : IDisposable
{
    private readonly Granularity _granularity;
    private readonly Dictionary<string, Unit> _units = new(StringComparer.Ordinal);
    private readonly List<Unit> _order = [];
    private IDisposable? _hooks;

    public ModelProfiler(HookedTransformer model, Granularity granularity)
    {
        _granularity = granularity;
        for (int l = 0; l < model.Cfg.NLayers; l++)
        {
            string block = $"blocks.{l}.";
            if (granularity.HasFlag(Granularity.Layer))
                Add($"blocks.{l}", block + "hook_resid_pre", block + "hook_resid_post", name => name.StartsWith(block, StringComparison.Ordinal));
            if (granularity.HasFlag(Granularity.Component))
            {
                Add($"blocks.{l}.attn", block + "hook_resid_pre", block + "hook_attn_out",
                    name => name.StartsWith(block + "attn.", StringComparison.Ordinal) || name.StartsWith(block + "ln1.", StringComparison.Ordinal) || name == block + "hook_attn_out");
                if (!model.Cfg.AttnOnly)
                {
                    string start = model.HookNames.Contains(block + "hook_resid_mid") ? block + "hook_resid_mid" : block + "hook_resid_pre";
                    Add($"blocks.{l}.mlp", start, block + "hook_mlp_out",
                        name => name.StartsWith(block + "mlp.", StringComparison.Ordinal) || name.StartsWith(block + "ln2.", StringComparison.Ordinal) || name == block + "hook_mlp_out");
                }
            }
        }
        _hooks = model.Hooks([new Hook(_ => true, Observe)]);
    }

    /// <summary>Detaches the hooks (idempotent).</summary>
    public void Dispose() => Interlocked.Exchange(ref _hooks, null)?.Dispose();

    /// <summary>The measurements so far.</summary>
    public ModelProfile Result()
    {
        var units = new List<UnitProfile>();
        foreach (bool layers in new[] { true, false })
        {
            List<Unit> group = _order.Where(u => u.IsLayer == layers).ToList();
            double totalMs = group.Sum(u => u.WallMs);
            long totalBytes = group.Sum(u => u.MaxBytes);
            units.AddRange(group.Select(u => new UnitProfile(u.Name, u.Passes, u.WallMs,
                totalMs > 0 ? u.WallMs / totalMs : 0, u.MaxBytes, totalBytes > 0 ? (double)u.MaxBytes / totalBytes : 0)));
        }
        return new ModelProfile(_granularity, units);
    }

    private void Add(string name, string start, string end, Func<string, bool> owns)
    {
        var unit = new Unit(name, start, end, owns, isLayer: !name.EndsWith(".attn", StringComparison.Ordinal) && !name.EndsWith(".mlp", StringComparison.Ordinal));
        _units[name] = unit;
        _order.Add(unit);
    }

    private Tensor? Observe(Tensor activation, HookContext context)
    {
        if (activation.device_type == DeviceType.CUDA) cuda.synchronize();
        long now = Stopwatch.GetTimestamp();
        long bytes = activation.NumberOfElements * activation.ElementSize;
        foreach (Unit unit in _order)
        {
            if (context.Name == unit.Start)
            {
                unit.Started = now;
                unit.Bytes = 0;
            }
            if (unit.Started is not null && unit.Owns(context.Name)) unit.Bytes += bytes;
            if (context.Name == unit.End && unit.Started is long started)
            {
                unit.WallMs += Stopwatch.GetElapsedTime(started, now).TotalMilliseconds;
                unit.Passes++;
                unit.MaxBytes = Math.Max(unit.MaxBytes, unit.Bytes);
                unit.Started = null;
            }
        }
        return null;
    }

    private sealed class Unit(string name, string start, string end, Func<string, bool> owns, bool isLayer)
    {
        public string Name => name;
        public string Start => start;
        public string End => end;
        public Func<string, bool> Owns => owns;
        public bool IsLayer => isLayer;
        public long? Started { get; set; }
        public long Bytes { get; set; }
        public long MaxBytes { get; set; }
        public double WallMs { get; set; }
        public int Passes { get; set; }
    }
}
