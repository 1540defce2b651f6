using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis;

/// <summary>
/// The tensor lifetimes of one forward pass, as PyTorch's reference counting would give them: each block and each
/// attention or MLP step runs in its own dispose scope (<see cref="BeginStep"/>), so its temporaries (norm steps, q/k/v,
/// scores, patterns, MLP hidden activations) are freed when the step ends and only what it returns moves out.
/// </summary>
/// <remarks>
/// <para>Hooks keep today's contract: every tensor a forward hook is handed, returns or makes lives until the whole
/// forward pass ends (<see cref="RetainHooked"/> moves it into the pass's own scope), so a hook may stash an activation of
/// layer 0 and use it in layer 5. Hooks that keep a tensor beyond the pass detach it from its dispose scope, as
/// <c>RunWithCache</c> does. Only hooked activations are kept, so a forward without hooks holds at any moment the weights,
/// the residual stream, one step's working set and the outputs.</para>
/// <para>Disposing a tensor handle here never breaks autograd: the graph holds its own references to what backward
/// needs.</para>
/// </remarks>
internal sealed class ForwardLifetime : IDisposable
{
    [ThreadStatic] private static ForwardLifetime? t_current;

    private readonly ForwardLifetime? _outer;
    private readonly DisposeScope _pass;
    private readonly List<DisposeScope> _steps = [];
    private readonly HashSet<Tensor> _retained = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

    private ForwardLifetime(ForwardLifetime? outer)
    {
        _outer = outer;
        _pass = NewDisposeScope();
    }

    /// <summary>The innermost forward pass running on this thread, or <c>null</c> outside one.</summary>
    public static ForwardLifetime? Current => t_current;

    /// <summary>Starts a forward pass's lifetimes on this thread; dispose to end it (frees everything not returned).</summary>
    public static ForwardLifetime Begin()
    {
        var lifetime = new ForwardLifetime(t_current);
        t_current = lifetime;
        return lifetime;
    }

    /// <summary>
    /// Opens a nested step: tensors made until it is disposed are freed then, except those passed to
    /// <see cref="Step.Keep"/> and those hooks retained.
    /// </summary>
    public Step BeginStep()
    {
        var scope = NewDisposeScope();
        _steps.Add(scope);
        return new Step(this, scope);
    }

    /// <summary>
    /// Keeps what a hook point's hooks saw or made until the pass ends: the activation, its replacement, and every tensor
    /// made while the hooks ran (<paramref name="hookScope"/>).
    /// </summary>
    public void RetainHooked(Tensor activation, Tensor result, DisposeScope hookScope)
    {
        Retain(activation);
        Retain(result);
        foreach (var made in hookScope.DisposablesView)
        {
            hookScope.MoveToOther(_pass, made);
            if (made is Tensor tensor)
                _retained.Add(tensor);
        }
    }

    /// <summary>Whether a hook saw or made <paramref name="tensor"/> during this pass.</summary>
    public bool IsRetained(Tensor tensor) => _retained.Contains(tensor);

    /// <summary>
    /// Frees <paramref name="tensor"/> now when this pass made it and no hook saw it; a caller's tensor (e.g. the input
    /// residual of <c>startAtLayer</c>) is never freed.
    /// </summary>
    public void Release(Tensor tensor)
    {
        if (_retained.Contains(tensor))
            return;
        if (_pass.Contains(tensor) || _steps.Any(s => s.Contains(tensor)))
            tensor.Dispose();
    }

    /// <summary>Hands <paramref name="result"/> to the caller of the forward pass (out of the pass's scope); every step has ended by then.</summary>
    public Tensor Return(Tensor result)
    {
        _retained.Remove(result);
        return _pass.MoveToOuter(result);
    }

    private void Retain(Tensor tensor)
    {
        // Hooked activations live in some step of this pass (moved to the pass's scope) or belong to the caller (left alone).
        for (int i = _steps.Count - 1; i >= 0; i--)
            _steps[i].MoveToOther(_pass, tensor);
        if (_pass.Contains(tensor))
            _retained.Add(tensor);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        t_current = _outer;
        _pass.Dispose();
        if (_outer is null)
            Native.NativeHeap.TrimIfDue();  // the outermost pass on this thread: hand freed pages back (glibc)
    }

    /// <summary>One step of a forward pass (a block, an attention or MLP step); dispose it to free its temporaries.</summary>
    public readonly struct Step(ForwardLifetime lifetime, DisposeScope scope) : IDisposable
    {
        /// <summary>Moves <paramref name="result"/> out of this step into the enclosing one; returns it.</summary>
        public Tensor Keep(Tensor result) => scope.MoveToOuter(result);

        /// <inheritdoc />
        public void Dispose()
        {
            lifetime._steps.Remove(scope);
            scope.Dispose();
        }
    }
}
