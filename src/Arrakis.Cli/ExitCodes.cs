namespace Arrakis.Cli;

/// <summary>The exit codes of <c>arrakis</c>.</summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>The script did not compile, or threw.</summary>
    public const int ScriptFailed = 1;

    /// <summary>Bad input: a missing file, an unknown model or device, a missing plugin folder, an unknown experiment.</summary>
    public const int BadInput = 2;

    /// <summary><c>experiments verify</c>, or <c>experiments show --strict</c>: a line of <c>runs.jsonl</c> is damaged (each is named as file:line).</summary>
    public const int DamagedStore = 3;

    /// <summary><c>arrakis tools</c>: at least one listed plugin failed to load (the report says which and why).</summary>
    public const int PluginsFailed = 4;

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
