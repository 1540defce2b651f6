using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Arrakis.Bench;
using Arrakis.StoreWriter;

namespace Arrakis.Experiments.Store;

/// <summary>
/// Two processes (<c>dotnet Arrakis.StoreWriter.dll</c>) record runs of the same experiment into the same save directory at
/// the same moment, while this process reads the store; nothing is lost, torn or duplicated.
/// </summary>
public sealed class TwoProcessStoreTests : IDisposable
{
    private const int PerWriter = 150;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("arrakis-two-writers-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public Task TwoProcesses_AppendingAtOnce_LoseAndTearNoRecord() => RunTwoWriters(environment: []);

    /// <summary>
    /// .NET emulates <c>FileShare.None</c> on Unix with an advisory <c>flock</c>, which this variable turns off for the
    /// whole process; the store's lock must not depend on it (it takes an explicit record lock, <c>FileStream.Lock</c>).
    /// </summary>
    [Fact]
    public Task TwoProcesses_AppendingAtOnce_EvenWithDotNetFileSharingLocksDisabled() =>
        RunTwoWriters(environment: new() { ["DOTNET_SYSTEM_IO_DISABLEFILELOCKING"] = "1" });

    private async Task RunTwoWriters(Dictionary<string, string> environment)
    {
        string saveDir = Path.Combine(_dir.FullName, "experiments");
        string goFile = Path.Combine(_dir.FullName, "go");
        string[] writers = ["alpha", "beta"];
        var processes = writers.Select(w => Start(saveDir, w, goFile, environment)).ToList();
        try
        {
            // Both have loaded libtorch and built their bench before either appends.
            // (Ready files, not a line on standard output: under the test host a child's "ready" line arrived only when it exited.)
            var deadline = DateTime.UtcNow.AddMinutes(2);
            while (!writers.All(w => File.Exists($"{goFile}.{w}.ready")))
            {
                Assert.True(DateTime.UtcNow < deadline, "the writers did not get ready in 2 minutes");
                Assert.True(processes.All(p => !p.HasExited), $"a writer exited early: {string.Join(" | ", processes.Where(p => p.HasExited).Select(p => p.StandardError.ReadToEnd()))}");
                await Task.Delay(20);
            }
            File.WriteAllText(goFile, "");

            // Read while they write: every read sees whole records only, and never fewer than the read before.
            var warnings = new List<string>();
            var reader = new ExperimentStore(saveDir, warnings.Add);
            int seen = 0;
            while (processes.Any(p => !p.HasExited))
            {
                int now = reader.ReadRuns("WriterBench.Append").Count;
                Assert.True(now >= seen, $"a read saw {now} records after one saw {seen}");
                seen = now;
                await Task.Delay(5);
            }
            foreach (var p in processes)
            {
                await p.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
                Assert.True(p.ExitCode == 0, $"writer exited with {p.ExitCode}: {await p.StandardError.ReadToEndAsync()}");
            }

            IReadOnlyList<ExperimentRecord> runs = reader.ReadRuns("WriterBench.Append");
            Assert.Empty(warnings);
            Assert.Equal(2 * PerWriter, runs.Count);
            Assert.Equal(runs.Count, runs.Select(r => r.RunId).Distinct().Count());
            foreach (string w in writers)
            {
                // Each writer's records are all there, in the order it wrote them, each with its own payload intact.
                var mine = runs.Where(r => (string?)r.Arguments!["writer"] == w).ToList();
                Assert.Equal(Enumerable.Range(0, PerWriter), mine.Select(r => (int)r.Arguments!["index"]!));
                Assert.All(mine, r =>
                {
                    int index = (int)r.Arguments!["index"]!;
                    Assert.Equal(WriterPayload.For(w, index), (string?)r.Arguments["payload"]);
                    Assert.Equal(WriterPayload.For(w, index), (string?)r.Result!["payload"]);
                    Assert.StartsWith($"{w}#{index}@", (string?)r.Result["stamp"]);
                    Assert.Equal("ok", r.Status);
                });
            }
            // The writers really overlapped: their records interleave in the file (else this test proved nothing).
            int switches = runs.Zip(runs.Skip(1)).Count(pair => (string?)pair.First.Arguments!["writer"] != (string?)pair.Second.Arguments!["writer"]);
            Assert.True(switches >= 2, $"the two writers' records alternate only {switches} times: they did not write at the same time");

            // The file itself: one whole JSON object per line, every line terminated; one source file, no temporary files left.
            string experiment = Path.Combine(saveDir, "WriterBench.Append");
            byte[] bytes = File.ReadAllBytes(Path.Combine(experiment, "runs.jsonl"));
            Assert.Equal((byte)'\n', bytes[^1]);
            string[] lines = Encoding.UTF8.GetString(bytes).Split('\n')[..^1];
            Assert.Equal(2 * PerWriter, lines.Length);
            Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
            Assert.Single(Directory.GetFiles(Path.Combine(experiment, "versions")));
            Assert.Empty(Directory.GetFiles(experiment, "*.tmp-*", SearchOption.AllDirectories));
        }
        finally
        {
            foreach (var p in processes)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
        }
    }

    private static Process Start(string saveDir, string writer, string goFile, Dictionary<string, string> environment)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "Arrakis.StoreWriter.dll");
        Assert.True(File.Exists(dll), $"the writer is built beside the tests: {dll}");
        var start = new ProcessStartInfo("dotnet", [dll, saveDir, writer, PerWriter.ToString(), goFile])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        return Process.Start(start)!;
    }
}
