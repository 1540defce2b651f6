using System.Reflection;

namespace Arrakis.Bench.Tools;

/// <summary>
/// The object serving a tool: given (a tool registered in code) or constructed on first use (a plugin's tool), so a
/// plugin whose constructor is slow or blocks costs nothing to a run that never asks for it.
/// </summary>
/// <remarks>
/// Construction runs on its own thread and is waited for at most <see cref="Timeout"/>: a constructor that takes longer
/// is reported as failed (the caller gets an <see cref="InvalidOperationException"/> naming the type and the limit) and
/// is never waited for again; its thread is left to finish or block on its own, since .NET cannot stop it. A
/// constructor that throws fails the same way. Either failure is passed to the owner (the plugin), which withdraws its
/// tools and reports why. Reading <see cref="Value"/> after construction is one volatile read.
/// </remarks>
internal sealed class ToolInstance
{
    private readonly Func<object>? _factory;
    private readonly Action<ToolConstructionFailure>? _onFailure;
    private readonly Lock _gate = new();
    private object? _value;
    private ToolConstructionFailure? _failure;

    private ToolInstance(object? value, Type type, Func<object>? factory, TimeSpan timeout, Action<ToolConstructionFailure>? onFailure)
    {
        _value = value;
        Type = type;
        _factory = factory;
        Timeout = timeout;
        _onFailure = onFailure;
    }

    /// <summary>An instance that already exists.</summary>
    public static ToolInstance Of(object value) => new(value ?? throw new ArgumentNullException(nameof(value)), value.GetType(), null, TimeSpan.Zero, null);

    /// <summary>An instance of <paramref name="type"/> made by its public parameterless constructor on first use.</summary>
    public static ToolInstance Lazy(Type type, TimeSpan timeout, Action<ToolConstructionFailure> onFailure) =>
        new(null, type, () => Activator.CreateInstance(type)!, timeout, onFailure);

    /// <summary>The implementation type.</summary>
    public Type Type { get; }

    /// <summary>How long construction may take before it is reported as failed.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Whether the instance exists.</summary>
    public bool IsConstructed => Volatile.Read(ref _value) is not null;

    /// <summary>Why construction failed, or null.</summary>
    public ToolConstructionFailure? Failure => Volatile.Read(ref _failure);

    /// <summary>The instance, constructed now if it was not yet.</summary>
    /// <exception cref="InvalidOperationException">The constructor threw or did not return within <see cref="Timeout"/>.</exception>
    public object Value => Volatile.Read(ref _value) ?? Construct();

    /// <summary>Constructs the instance if needed; returns the failure instead of throwing it.</summary>
    public ToolConstructionFailure? TryConstruct()
    {
        try
        {
            _ = Value;
            return null;
        }
        catch (InvalidOperationException) when (Failure is { } failure)
        {
            return failure;
        }
    }

    private object Construct()
    {
        ToolConstructionFailure? failed;
        lock (_gate)
        {
            if (Volatile.Read(ref _value) is { } done) return done;
            failed = _failure ?? Run();
        }
        if (failed is null) return _value!;
        throw new InvalidOperationException(failed.Message, failed.Exception);
    }

    /// <summary>Runs the constructor on its own thread (under the gate); null on success.</summary>
    private ToolConstructionFailure? Run()
    {
        object? made = null;
        Exception? thrown = null;
        using var finished = new ManualResetEventSlim();
        var thread = new Thread(() =>
        {
            try { made = _factory!(); }
            catch (Exception e) { thrown = e is TargetInvocationException { InnerException: { } inner } ? inner : e; }
            finally
            {
                try { finished.Set(); }
                catch (ObjectDisposedException) { } // the caller gave up waiting
            }
        })
        { IsBackground = true, Name = $"arrakis tool {Type.Name}" };
        thread.Start();
        ToolConstructionFailure? failure;
        if (!finished.Wait(Timeout))
        {
            failure = new ToolConstructionFailure(Type, TimedOut: true, null,
                $"the constructor of {Type.FullName} did not return within {Timeout.TotalSeconds:0.###} s (the tool construction " +
                "timeout); it is not waited for again");
        }
        else if (thrown is not null)
        {
            failure = new ToolConstructionFailure(Type, TimedOut: false, thrown,
                $"the constructor of {Type.FullName} threw {thrown.GetType().Name}: {thrown.Message}");
        }
        else
        {
            Volatile.Write(ref _value, made);
            return null;
        }
        Volatile.Write(ref _failure, failure);
        _onFailure?.Invoke(failure);
        return failure;
    }
}

/// <summary>Why a tool's instance could not be made.</summary>
/// <param name="Type">The implementation type.</param>
/// <param name="TimedOut">True when the constructor did not return in time; false when it threw.</param>
/// <param name="Exception">What it threw (null when it timed out).</param>
/// <param name="Message">The failure in words.</param>
internal sealed record ToolConstructionFailure(Type Type, bool TimedOut, Exception? Exception, string Message);
