namespace Arrakis.Scripting;

/// <summary>Starts progress bars for long script loops (the CLI draws them on standard error when it is a terminal).</summary>
public interface IScriptProgress
{
    /// <summary>Starts a bar of <paramref name="total"/> steps; dispose it when done.</summary>
    IProgressBar Start(string description, long total);
}

/// <summary>One progress bar.</summary>
public interface IProgressBar : IDisposable
{
    /// <summary>Advances by <paramref name="steps"/>.</summary>
    void Advance(long steps = 1);
}

/// <summary>Progress reporters that need no terminal.</summary>
public static class ScriptProgress
{
    /// <summary>Draws nothing.</summary>
    public static readonly IScriptProgress None = new NoProgress();

    private sealed class NoProgress : IScriptProgress, IProgressBar
    {
        public IProgressBar Start(string description, long total) => this;
        public void Advance(long steps = 1) { }
        public void Dispose() { }
    }
}
