namespace Arrakis.Scripting;

/// <summary>What the host knows about memory, for <c>#status</c>: resident bytes and the memory guard's collections.</summary>
public static class ScriptMemory
{
    /// <summary>The process's resident memory (bytes).</summary>
    public static long ResidentBytes() => NativeMemoryGuard.ResidentBytes();

    /// <summary>How many collections the memory guard ran in this process (<see cref="ScriptHostOptions.CollectAfterGrowth"/>).</summary>
    public static int Collections => NativeMemoryGuard.Collections;
}
