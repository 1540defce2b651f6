using Arrakis.Scripting;
using Spectre.Console;

namespace Arrakis.Cli;

/// <summary>Script progress bars drawn by Spectre.Console on standard error (nothing when it is not a terminal).</summary>
internal sealed class ConsoleProgress : IScriptProgress
{
    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });

    public static IScriptProgress ForStandardError() => Console.IsErrorRedirected ? ScriptProgress.None : new ConsoleProgress();

    public IProgressBar Start(string description, long total) => new Bar(_console, description, total);

    private sealed class Bar : IProgressBar
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _runner;
        private readonly ProgressTask _task;

        public Bar(IAnsiConsole console, string description, long total)
        {
            var ready = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
            _runner = console.Progress()
                .AutoClear(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .StartAsync(async ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
                    ready.SetResult(task);
                    await _done.Task;
                    task.Value = task.MaxValue;
                });
            _task = ready.Task.GetAwaiter().GetResult();
        }

        public void Advance(long steps = 1) => _task.Increment(steps);

        public void Dispose()
        {
            _done.TrySetResult();
            try { _runner.Wait(TimeSpan.FromSeconds(2)); }
            catch (AggregateException) { }
        }
    }
}
