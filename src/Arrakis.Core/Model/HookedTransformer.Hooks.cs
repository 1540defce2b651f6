using Arrakis.Components;
using Arrakis.Hooks;
using Arrakis.Util;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

public partial class HookedTransformer
{
    /// <summary>
    /// Every hook name this model produces under the current <see cref="Options"/>, in the order the points fire
    /// during a forward pass (TL <c>model.hook_dict.keys()</c>).
    /// </summary>
    public IReadOnlyList<string> HookNames => _activeHookPoints.Select(h => h.Name).ToList();

    /// <summary>The hook point called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">No such point under the current options; the message lists the closest names.</exception>
    public HookPoint GetHookPoint(string name)
    {
        if (_hookPointsByName.TryGetValue(name, out var hook))
            return hook;
        throw UnknownHook(name, "name");
    }

    /// <summary>
    /// Runs a forward pass with hooks attached, and removes them when it ends, also when it throws
    /// (TL <c>run_with_hooks</c>). Backward hooks need <paramref name="backwardMetric"/>: the scalar whose gradient is
    /// taken while they are attached.
    /// </summary>
    /// <returns>The logits [batch, pos, d_vocab].</returns>
    public Tensor RunWithHooks(Tensor tokens, IEnumerable<Hook> forwardHooks, IEnumerable<Hook>? backwardHooks = null,
        Func<Tensor, Tensor>? backwardMetric = null, Tensor? attentionMask = null)
    {
        var backward = backwardHooks?.ToList() ?? [];
        if (backward.Count > 0 && backwardMetric is null)
            throw new ArgumentException("Backward hooks run during a backward pass: pass backwardMetric, the scalar to differentiate.", nameof(backwardMetric));
        using var scope = Hooks(forwardHooks, backward);
        if (backward.Count == 0)
            return Forward(tokens, attentionMask: attentionMask);
        using var grad = enable_grad();
        var logits = Forward(tokens, attentionMask: attentionMask);
        using (var metric = backwardMetric!(logits))
            Backward(metric);
        return logits.detach();
    }

    /// <summary>
    /// Attaches hooks until the returned scope is disposed (TL <c>with model.hooks(...)</c>). Every name is checked
    /// first, so nothing is left attached when one is invalid.
    /// </summary>
    /// <exception cref="ArgumentException">A hook names a point this model does not produce; the message lists the closest names.</exception>
    public IDisposable Hooks(IEnumerable<Hook>? forwardHooks = null, IEnumerable<Hook>? backwardHooks = null)
    {
        var forward = Resolve(forwardHooks ?? [], nameof(forwardHooks));
        var backward = Resolve(backwardHooks ?? [], nameof(backwardHooks));
        var handles = new List<IDisposable>();
        foreach (var (point, function) in forward)
            handles.Add(point.AddForwardHook(function));
        foreach (var (point, function) in backward)
            handles.Add(point.AddBackwardHook(function));
        return new HookScope(handles);
    }

    /// <summary>
    /// Adds hook points that fire inside a hook at <paramref name="hostName"/> — a spliced sparse autoencoder's
    /// <c>hook_sae_input</c> … <c>hook_sae_error</c> (SAELens <c>HookedSAETransformer</c>) — named
    /// <c>{hostName}.{suffix}</c>, listed right after the host in <see cref="HookNames"/> and reachable by
    /// <see cref="RunWithCache(Tensor, Func{string, bool}?, Device?, bool, bool, Func{Tensor, Tensor}?, Tensor?)"/>,
    /// <see cref="RunWithHooks"/> and every tool that names hook points, until the returned handle is disposed.
    /// The caller runs them (<see cref="HookPoint.Run"/>) from its hook at the host.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="hostName"/> is not a hook point, or a name is taken.</exception>
    public IDisposable AddHookPoints(string hostName, IReadOnlyList<(string Suffix, HookPoint Point)> points)
    {
        ArgumentNullException.ThrowIfNull(points);
        var host = GetHookPoint(hostName);
        foreach (var (suffix, point) in points)
        {
            string name = $"{hostName}.{suffix}";
            if (_hookPointsByName.ContainsKey(name))
                throw new ArgumentException($"'{name}' is already a hook point of this model (is something already spliced at '{hostName}'?).", nameof(points));
            point.SetName(name, host.Context.Layer);
        }
        var entry = (hostName, (IReadOnlyList<HookPoint>)points.Select(p => p.Point).ToList());
        _addedHookPoints.Add(entry);
        RefreshHookPoints();
        return new HookScope([new AddedPointsHandle(this, entry)]);
    }

    private readonly List<(string Host, IReadOnlyList<HookPoint> Points)> _addedHookPoints = [];

    private void RemoveAddedHookPoints((string Host, IReadOnlyList<HookPoint> Points) entry)
    {
        if (!_addedHookPoints.Remove(entry))
            return;
        foreach (var point in entry.Points)
            point.ClearHooks();
        RefreshHookPoints();
    }

    private void RefreshHookPoints()
    {
        _activeHookPoints = ListActiveHookPoints();
        _hookPointsByName = _activeHookPoints.ToDictionary(h => h.Name, StringComparer.Ordinal);
    }

    private sealed class AddedPointsHandle(HookedTransformer model, (string Host, IReadOnlyList<HookPoint> Points) entry) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
                model.RemoveAddedHookPoints(entry);
        }
    }

    /// <summary>Removes every hook from every point (TL <c>reset_hooks</c>).</summary>
    public void ResetHooks()
    {
        foreach (var (_, module) in named_modules())
            if (module is HookPoint point)
                point.ClearHooks();
    }

    /// <summary>Runs <c>metric.backward()</c>, then rethrows the first exception any backward hook raised during it.</summary>
    internal void Backward(Tensor metric)
    {
        metric.backward();
        var errors = _activeHookPoints.Select(p => p.TakeBackwardError()).Where(e => e is not null).ToList();
        errors.FirstOrDefault()?.Throw();
    }

    /// <summary>The hook points matching a name filter (all active points when <c>null</c>).</summary>
    internal IReadOnlyList<HookPoint> SelectHookPoints(Func<string, bool>? filter) =>
        filter is null ? _activeHookPoints : _activeHookPoints.Where(h => filter(h.Name)).ToList();

    internal ArgumentException UnknownHook(string name, string argument)
    {
        var closest = NameSuggestions.Closest(name, _activeHookPoints.Select(h => h.Name));
        string optIn = name.EndsWith("hook_result", StringComparison.Ordinal) || name.EndsWith("_input", StringComparison.Ordinal)
            || name.EndsWith("hook_attn_in", StringComparison.Ordinal) || name.EndsWith("hook_mlp_in", StringComparison.Ordinal)
            ? " It may be an opt-in point: enable it with SetHookOptions (UseAttnResult, UseSplitQkvInput, UseAttnIn, UseHookMlpIn)."
            : "";
        return new ArgumentException($"'{name}' is not a hook point of this model.{optIn} Closest valid names: {string.Join(", ", closest)}. See HookNames for all.", argument);
    }

    private List<(HookPoint Point, HookFunction Function)> Resolve(IEnumerable<Hook> hooks, string argument)
    {
        var resolved = new List<(HookPoint, HookFunction)>();
        foreach (var hook in hooks)
        {
            if (hook.Name is { } name)
                resolved.Add((_hookPointsByName.TryGetValue(name, out var point) ? point : throw UnknownHook(name, argument), hook.Function));
            else
                resolved.AddRange(SelectHookPoints(hook.Filter).Select(p => (p, hook.Function)));
        }
        return resolved;
    }

    /// <summary>The active hook points in forward order, given the architecture and <see cref="Options"/>.</summary>
    private List<HookPoint> ListActiveHookPoints()
    {
        var list = new List<HookPoint> { hook_embed };
        if (pos_embed is not null)
            list.Add(hook_pos_embed);
        bool norm = Cfg.Normalization != NormalizationType.None;
        foreach (var block in blocks)
        {
            list.Add(block.hook_resid_pre);
            if (_options.UseAttnIn)
                list.Add(block.hook_attn_in);
            if (_options.UseSplitQkvInput)
                list.AddRange([block.hook_q_input, block.hook_k_input, block.hook_v_input]);
            if (norm)
                list.AddRange([block.ln1.hook_scale, block.ln1.hook_normalized]);
            var attn = block.attn;
            list.AddRange([attn.hook_q, attn.hook_k, attn.hook_v]);
            if (Cfg.PositionalEmbedding == PositionalEmbeddingType.Rotary)
                list.AddRange([attn.hook_rot_q, attn.hook_rot_k]);
            list.AddRange([attn.hook_attn_scores, attn.hook_pattern, attn.hook_z]);
            if (_options.UseAttnResult)
                list.Add(attn.hook_result);
            list.Add(block.hook_attn_out);
            if (block.mlp is { } mlp)
            {
                if (!Cfg.ParallelAttnMlp)
                    list.Add(block.hook_resid_mid);
                if (_options.UseHookMlpIn)
                    list.Add(block.hook_mlp_in);
                if (norm)
                    list.AddRange([block.ln2!.hook_scale, block.ln2.hook_normalized]);
                list.Add(mlp.hook_pre);
                if (mlp.IsGated)
                    list.Add(mlp.hook_pre_linear);
                if (mlp.ln is { } soluLn)
                    list.AddRange([mlp.hook_mid, soluLn.hook_scale, soluLn.hook_normalized]);
                list.AddRange([mlp.hook_post, block.hook_mlp_out]);
            }
            list.Add(block.hook_resid_post);
        }
        if (norm)
            list.AddRange([ln_final.hook_scale, ln_final.hook_normalized]);
        list.AddRange([unembed.hook_in, unembed.hook_out]);
        foreach (var (host, points) in _addedHookPoints)
        {
            int at = list.FindIndex(h => h.Name == host);
            if (at >= 0)
                list.InsertRange(at + 1, points);
        }
        return list;
    }

    private sealed class HookScope(List<IDisposable> handles) : IDisposable
    {
        public void Dispose()
        {
            foreach (var handle in handles)
                handle.Dispose();
            handles.Clear();
        }
    }
}
