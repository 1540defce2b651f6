namespace Arrakis.Plots;

/// <summary>Figures waiting to be stored with the next recorded run (thread-safe).</summary>
public sealed class FigureQueue
{
    private readonly List<Figure> _figures = [];

    /// <summary>Queues figures.</summary>
    public void Add(IEnumerable<Figure> figures)
    {
        ArgumentNullException.ThrowIfNull(figures);
        lock (_figures) _figures.AddRange(figures);
    }

    /// <summary>How many figures are waiting.</summary>
    public int Count
    {
        get { lock (_figures) return _figures.Count; }
    }

    /// <summary>Takes every waiting figure (the queue is left empty).</summary>
    public IReadOnlyList<Figure> Take()
    {
        lock (_figures)
        {
            var all = _figures.ToList();
            _figures.Clear();
            return all;
        }
    }
}
