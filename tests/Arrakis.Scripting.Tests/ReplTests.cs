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
}
