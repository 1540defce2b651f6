namespace Arrakis.Scripting.Tests;

[Collection(HostCollection.Name)]
public sealed class ReplTests(HostFixture fixture)
{
    [Fact]
    public async Task Submissions_SeeEarlierOnes_AndReturnValues()
    {
        using var dir = new TempFolder();
        var (globals, output, _) = fixture.Globals(dir.Path);
        using var repl = new ReplSession(fixture.Host, globals, dir.Path);
        Assert.Null(await repl.SubmitAsync("var n = Model.Cfg.NHeads;"));
        Assert.Equal(4, await repl.SubmitAsync("int Twice(int x) => 2 * x;\nTwice(n)"));
        await Assert.ThrowsAsync<ScriptCompilationException>(() => repl.SubmitAsync("Twice(missing)"));
        await Assert.ThrowsAsync<ScriptRuntimeException>(() => repl.SubmitAsync("throw new InvalidOperationException(\"x\");"));
        Assert.Equal(6, await repl.SubmitAsync("Twice(n) + 2")); // the session survives errors
        Assert.Equal(3, repl.Submissions);
        repl.Reset();
        await Assert.ThrowsAsync<ScriptCompilationException>(() => repl.SubmitAsync("n"));
    }

    [Fact]
    public async Task AfterACancelledSubmission_TheNextOneGetsAFreshToken()
    {
        using var dir = new TempFolder();
        var (globals, output, _) = fixture.Globals(dir.Path);
        using var repl = new ReplSession(fixture.Host, globals, dir.Path);
        using var cts = new CancellationTokenSource();
        var run = repl.SubmitAsync("Out.WriteLine(\"looping\"); while (true) { Cancellation.ThrowIfCancellationRequested(); Thread.Sleep(5); }", cts.Token);
        await ScriptHostTests.WaitFor(() => output.ToString().Contains("looping"));
        cts.Cancel();
        await Assert.ThrowsAsync<ScriptCanceledException>(() => run);
        Assert.Equal(false, await repl.SubmitAsync("Cancellation.IsCancellationRequested"));
    }

    [Fact]
    public void MultiLineInput_IsCompleteOnlyWhenBalanced()
    {
        Assert.False(ReplSession.IsComplete("for (int i = 0; i < 3; i++)\n{"));
        Assert.True(ReplSession.IsComplete("for (int i = 0; i < 3; i++)\n{\n}\n"));
        Assert.True(ReplSession.IsComplete("1 + 1"));
    }

    [Fact]
    public async Task ALongSession_UnloadsItsCodeOnReset()
    {
        using var dir = new TempFolder();
        var (globals, _, _) = fixture.Globals(dir.Path);
        using var repl = new ReplSession(fixture.Host, globals, dir.Path);
        for (int i = 0; i < 30; i++)
            Assert.Equal(i, await repl.SubmitAsync($"var v{i} = {i}; v{i}"));
        var context = repl.CurrentContext;
        repl.Reset();
        await ScriptHostTests.Collect(() => context.IsAlive);
        Assert.False(context.IsAlive);
    }

    [Fact]
    public async Task TheReplCommand_ReadsMultiLineInput_AndKnowsHelp()
    {
        using var dir = new TempFolder();
        var (globals, _, _) = fixture.Globals(dir.Path);
        var input = new StringReader("#help\nint total = 0;\nfor (int i = 1; i <= 3; i++)\n{\n    total += i;\n}\ntotal\nundefinedName\n#exit\n");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await Arrakis.Cli.Commands.ReplCommand.RunAsync(fixture.Host, globals, input, output, error, verbose: false, interactive: false);
        Assert.Contains("#reset", output.ToString());
        Assert.Contains("6", output.ToString().Split('\n').Select(l => l.Trim()));
        Assert.Contains("error CS0103: The name 'undefinedName' does not exist", error.ToString());
        Assert.Equal(1, code); // piped input with a failing submission fails, as a script would
    }

    [Theory]
    [InlineData("using System.Text;")]
    [InlineData("// a comment")]
    [InlineData("#r \"System.Text.Json\"")]
    [InlineData("using static System.Math;")]
    [InlineData("using Arrakis.Bench.Plugins;\n// and a comment")]
    public async Task ASubmissionWithoutCode_KeepsTheSession(string submission)
    {
        using var dir = new TempFolder();
        var (globals, _, _) = fixture.Globals(dir.Path);
        using var repl = new ReplSession(fixture.Host, globals, dir.Path);
        Assert.Equal(1, await repl.SubmitAsync("var kept = 1; kept"));
        Assert.Null(await repl.SubmitAsync(submission));
        Assert.Equal(2, await repl.SubmitAsync("kept + 1"));   // earlier state survives
        Assert.Null(await repl.SubmitAsync(submission));       // twice in a row
        Assert.Equal(3, await repl.SubmitAsync("kept + 2"));
    }

    [Fact]
    public async Task AUsingSubmission_HoldsForLaterSubmissions()
    {
        using var dir = new TempFolder();
        var (globals, _, _) = fixture.Globals(dir.Path);
        using var repl = new ReplSession(fixture.Host, globals, dir.Path);
        Assert.Null(await repl.SubmitAsync("using static System.Math;"));
        Assert.Equal(7, await repl.SubmitAsync("Max(3, 7)"));
        Assert.Null(await repl.SubmitAsync("using SB = System.Text.StringBuilder;"));
        Assert.Equal("ab", await repl.SubmitAsync("new SB(\"a\").Append('b').ToString()"));
    }

    [Fact]
    public async Task TheReplCommand_GoesOnAfterCodeFreeSubmissions()
    {
        using var dir = new TempFolder();
        var (globals, _, _) = fixture.Globals(dir.Path);
        var input = new StringReader("using System.Text;\n// comment\n#r \"System.Text.Json\"\nusing static System.Math;\nMax(40, 41) + 1\n#tools\n");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = await Arrakis.Cli.Commands.ReplCommand.RunAsync(fixture.Host, globals, input, output, error, verbose: false, interactive: false);
        Assert.Equal("", error.ToString());
        Assert.Contains("42", output.ToString().Split('\n').Select(l => l.Trim()));
        Assert.Contains("(no plugin host: tools come only from code)", output.ToString());
        Assert.Equal(0, code);
    }

    [Fact]
    public async Task ACancelledSubmissionThatIgnoresCancellation_IsWarnedOnEveryPrompt_ShownByStatus_AndRestartSavesTheSession()
    {
        using var dir = new TempFolder();
        string stop = dir.File("stop");
        var host = new ScriptHost(new ScriptHostOptions { UseCache = false, CancellationGrace = TimeSpan.FromMilliseconds(200) });
        var (globals, output, _) = fixture.Globals(dir.Path);
        using (var repl = new ReplSession(host, globals, dir.Path))
        {
            using var cts = new CancellationTokenSource();
            var run = repl.SubmitAsync($"Out.WriteLine(\"spinning\"); while (!File.Exists(@\"{stop}\")) {{ }}", cts.Token);
            await ScriptHostTests.WaitFor(() => output.ToString().Contains("spinning"));
            cts.Cancel();
            Assert.True((await Assert.ThrowsAsync<ScriptCanceledException>(() => run)).Abandoned);
        }
        try
        {
            Assert.Single(host.AbandonedRuns);
            var input = new StringReader("var kept = 41;\nkept + 1\n#status\n#restart\nnever + run\n");
            var replOut = new StringWriter();
            var error = new StringWriter();
            int code = await Arrakis.Cli.Commands.ReplCommand.RunAsync(host, globals, input, replOut, error, verbose: false, interactive: false);

            Assert.Equal(0, code);
            // a warning before each of the four prompts that read a line (two submissions, #status, #restart)
            Assert.Equal(4, error.ToString().Split('\n').Count(l => l.Contains("1 cancelled submission(s) still running in the background")));
            string text = replOut.ToString();
            Assert.Contains("background      1 cancelled submission(s) still running since", text);
            Assert.Contains("submissions     2 (2 kept for #restart)", text);
            Assert.DoesNotContain("never", error.ToString()); // nothing after #restart ran
            var saved = System.Text.RegularExpressions.Regex.Match(text, "saved to (\\S+\\.csx)").Groups[1].Value;
            Assert.Equal("var kept = 41;\nkept + 1\n", File.ReadAllText(saved));
            File.Delete(saved);
        }
        finally
        {
            File.WriteAllText(stop, "");
            await ScriptHostTests.WaitFor(() => host.AbandonedRuns.Count == 0);
        }
    }
}
