using System.Runtime.ExceptionServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Hooks;

/// <summary>
/// An identity module through which one named activation flows, so it can be read, replaced or differentiated
/// (TransformerLens <c>HookPoint</c>). Keeps its own ordered list of forward and backward hook functions; with none
/// attached, <see cref="Run"/> returns its input untouched at the cost of one branch.
/// </summary>
public sealed class HookPoint : nn.Module<Tensor, Tensor>
{
    private readonly List<(HookFunction Function, int Id)> _forward = [];
    private readonly List<(HookFunction Function, int Id)> _backward = [];
    private HookContext _context;
    private int _nextId;
    private ExceptionDispatchInfo? _backwardError;

    /// <summary>Creates an unnamed hook point; the owning model names it after construction.</summary>
    public HookPoint() : base(nameof(HookPoint)) => _context = new HookContext("", null);

    /// <summary>The full hook name, e.g. <c>blocks.0.hook_resid_pre</c>.</summary>
    public string Name => _context.Name;

    /// <summary>The context handed to this point's hook functions.</summary>
    public HookContext Context => _context;

    /// <summary>Whether any forward or backward hook is attached.</summary>
    public bool HasHooks => _forward.Count > 0 || _backward.Count > 0;

    internal void SetName(string name, int? layer) => _context = new HookContext(name, layer);

    /// <summary>Appends a forward hook; dispose the handle to remove it.</summary>
    public IDisposable AddForwardHook(HookFunction function) => Add(_forward, function);

    /// <summary>Appends a backward hook (runs on the gradient of this activation); dispose the handle to remove it.</summary>
    public IDisposable AddBackwardHook(HookFunction function) => Add(_backward, function);

    /// <summary>Removes every hook and clears the context's scratch space.</summary>
    public void ClearHooks()
    {
        _forward.Clear();
        _backward.Clear();
        _context.Ctx.Clear();
    }

    /// <inheritdoc />
    public override Tensor forward(Tensor input) => Run(input);

    /// <summary>Passes <paramref name="activation"/> through the attached forward hooks, in the order they were added.</summary>
    /// <exception cref="InvalidOperationException">A hook returned a tensor of another shape.</exception>
    /// <remarks>
    /// Inside <see cref="HookedTransformer.Forward"/>, the activation handed to a hook, what the hooks return and every
    /// tensor they make stay valid until the forward pass ends (not only until the end of this step); a hook that keeps a
    /// tensor beyond the pass must detach it from its dispose scope (<c>DetachFromDisposeScope()</c>), as
    /// <c>RunWithCache</c> does.
    /// </remarks>
    public Tensor Run(Tensor activation)
    {
        if (_forward.Count == 0 && _backward.Count == 0)
            return activation;
        if (ForwardLifetime.Current is not { } lifetime)
            return RunHooks(activation);
        using var hookScope = NewDisposeScope();
        var result = RunHooks(activation);
        lifetime.RetainHooked(activation, result, hookScope);
        return result;
    }

    private Tensor RunHooks(Tensor activation)
    {
        foreach (var (function, _) in _forward.ToArray())
        {
            var replacement = function(activation, _context);
            if (replacement is null || ReferenceEquals(replacement, activation))
                continue;
            if (!replacement.shape.SequenceEqual(activation.shape))
                throw new InvalidOperationException(
                    $"The hook at '{Name}' returned a tensor of shape [{string.Join(", ", replacement.shape)}]; " +
                    $"expected the activation's shape [{string.Join(", ", activation.shape)}].");
            activation = replacement;
        }
        if (_backward.Count > 0 && activation.requires_grad)
            activation = GradientTap.apply(activation, (Func<Tensor, Tensor>)RunBackward);
        return activation;
    }

    /// <summary>The first exception a backward hook raised during the last backward pass, if any (taken and cleared).</summary>
    internal ExceptionDispatchInfo? TakeBackwardError() => Interlocked.Exchange(ref _backwardError, null);

    private Tensor RunBackward(Tensor gradient)
    {
        try
        {
            return RunBackwardHooks(gradient);
        }
        catch (Exception e)
        {
            // Throwing here would cross native autograd code and end the process; report it after backward() instead.
            Interlocked.CompareExchange(ref _backwardError, ExceptionDispatchInfo.Capture(e), null);
            return gradient;
        }
    }

    private Tensor RunBackwardHooks(Tensor gradient)
    {
        foreach (var (function, _) in _backward.ToArray())
        {
            var replacement = function(gradient, _context);
            if (replacement is null)
                continue;
            if (!replacement.shape.SequenceEqual(gradient.shape))
                throw new InvalidOperationException(
                    $"The backward hook at '{Name}' returned a gradient of shape [{string.Join(", ", replacement.shape)}]; " +
                    $"expected [{string.Join(", ", gradient.shape)}].");
            gradient = replacement;
        }
        return gradient;
    }

    private IDisposable Add(List<(HookFunction, int)> list, HookFunction function)
    {
        ArgumentNullException.ThrowIfNull(function);
        int id = _nextId++;
        list.Add((function, id));
        return new Handle(() => list.RemoveAll(entry => entry.Item2 == id));
    }

    private sealed class Handle(Action remove) : IDisposable
    {
        private Action? _remove = remove;

        public void Dispose() => Interlocked.Exchange(ref _remove, null)?.Invoke();
    }
}
