using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Arrakis.Surgery;

/// <summary>
/// An edit of a model in force until disposed: the hooks it attached are removed and every parameter it changed is
/// copied back from the copy taken before the change, so the model is byte-identical afterwards (tested by hashing every
/// parameter). Dispose nested scopes in reverse order — <c>using</c> does — since each restores what it saw.
/// </summary>
public sealed class SurgeryScope : IDisposable
{
    private readonly List<IDisposable> _hooks = [];
    private readonly List<(Parameter Parameter, Tensor Saved)> _saved = [];
    private bool _disposed;

    internal SurgeryScope(HookedTransformer model, string description)
    {
        Model = model;
        Description = description;
    }

    /// <summary>The edited model.</summary>
    public HookedTransformer Model { get; }

    /// <summary>What the edit does, e.g. <c>delete layers [1]</c>.</summary>
    public string Description { get; }

    /// <summary>Whether the edit has been undone.</summary>
    public bool IsDisposed => _disposed;

    internal void Add(IDisposable hookHandle) => _hooks.Add(hookHandle);

    /// <summary>Keeps a copy of <paramref name="parameter"/> (once) so <see cref="Dispose"/> can put it back.</summary>
    internal void Save(Parameter parameter)
    {
        if (_saved.Any(s => ReferenceEquals(s.Parameter, parameter)))
            return;
        using var noGrad = no_grad();
        _saved.Add((parameter, parameter.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>The copy saved of <paramref name="parameter"/> before this scope changed it, or <c>null</c>.</summary>
    internal Tensor? SavedCopy(Parameter parameter) => _saved.FirstOrDefault(s => ReferenceEquals(s.Parameter, parameter)).Saved;

    /// <summary>Removes the hooks and copies every saved parameter back; safe to call twice.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var hook in _hooks)
            hook.Dispose();
        using var noGrad = no_grad();
        for (int i = _saved.Count - 1; i >= 0; i--)
        {
            _saved[i].Parameter.copy_(_saved[i].Saved);
            _saved[i].Saved.Dispose();
        }
        _saved.Clear();
    }

    /// <inheritdoc />
    public override string ToString() => Description;
}
