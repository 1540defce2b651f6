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

    /// <summary>Cancelled with Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;
}
