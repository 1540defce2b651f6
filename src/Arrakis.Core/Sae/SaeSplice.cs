using Arrakis.Hooks;
using static TorchSharp.torch;

namespace Arrakis.Sae;

/// <summary>
/// An SAE spliced into a model at a hook point (SAELens <c>HookedSAETransformer.add_sae</c> / <c>saes()</c>): until
/// disposed, the activation at <see cref="HookName"/> is replaced by the SAE's reconstruction — plus the error term
/// <c>x − recons</c> when <see cref="UseErrorTerm"/>, which leaves the model's outputs unchanged — and the SAE's hook
/// points are hook points of the model, named <c>{hook}.hook_sae_input</c>, <c>.hook_sae_acts_pre</c>,
/// <c>.hook_sae_acts_post</c>, <c>.hook_sae_recons</c>, <c>.hook_sae_error</c>, <c>.hook_sae_output</c>, so
/// <c>RunWithCache</c>, <c>RunWithHooks</c> and every patching or attribution tool reach them.
/// </summary>
/// <remarks>
/// The splice is a forward hook on the host point, added when the splice is made: hooks added to the host point later
/// see the SAE's output. <c>model.ResetHooks()</c> removes that hook too (dispose the splice to remove its hook points).
/// </remarks>
public sealed class SaeSplice : IDisposable
{
    private readonly IDisposable _points;
    private readonly IDisposable _hook;
    private int _disposed;

    private SaeSplice(HookedTransformer model, SparseAutoencoder sae, string hookName, bool useErrorTerm)
    {
        Model = model;
        Sae = sae;
        HookName = hookName;
        UseErrorTerm = useErrorTerm;
        _points = model.AddHookPoints(hookName, sae.HookPoints);
        try
        {
            _hook = model.GetHookPoint(hookName).AddForwardHook(Replace);
        }
        catch
        {
            _points.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Splices <paramref name="sae"/> into <paramref name="model"/> at <paramref name="hookName"/> (default: the SAE's
    /// <c>hook_name</c>).
    /// </summary>
    /// <exception cref="ArgumentException">No hook name, an unknown one, a width that is not the SAE's d_in, or an SAE already spliced there.</exception>
    public static SaeSplice Attach(HookedTransformer model, SparseAutoencoder sae, string? hookName = null, bool useErrorTerm = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sae);
        string name = hookName ?? sae.Cfg.HookName
            ?? throw new ArgumentException("The SAE's config names no hook point (hook_name); pass hookName.", nameof(hookName));
        model.GetHookPoint(name);  // a clear error for an unknown name before anything is attached
        return new SaeSplice(model, sae, name, useErrorTerm);
    }

    /// <summary>The model.</summary>
    public HookedTransformer Model { get; }

    /// <summary>The spliced SAE.</summary>
    public SparseAutoencoder Sae { get; }

    /// <summary>The host hook point.</summary>
    public string HookName { get; }

    /// <summary>Whether the error term is added back.</summary>
    public bool UseErrorTerm { get; }

    /// <summary>The full name of one of the SAE's hook points, e.g. <c>SaeHookName("hook_sae_acts_post")</c>.</summary>
    public string SaeHookName(string suffix) =>
        SparseAutoencoder.HookPointNames.Contains(suffix)
            ? $"{HookName}.{suffix}"
            : throw new ArgumentException($"'{suffix}' is not an SAE hook point; expected one of {string.Join(", ", SparseAutoencoder.HookPointNames)}.", nameof(suffix));

    private Tensor Replace(Tensor activation, HookContext context)
    {
        if (activation.shape[^1] != Sae.Cfg.DIn)
            throw new InvalidOperationException($"The activation at '{HookName}' has width {activation.shape[^1]}; the SAE reads d_in = {Sae.Cfg.DIn}.");
        var input = activation.dtype == Sae.Cfg.Dtype ? activation : activation.to(Sae.Cfg.Dtype);
        var output = Sae.Run(input, UseErrorTerm);
        return output.dtype == activation.dtype ? output : output.to(activation.dtype);
    }

    /// <summary>Removes the splice and the SAE's hook points from the model.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _hook.Dispose();
        _points.Dispose();
        Sae.NameOwnHookPoints();
    }
}
