using System.Reflection;

namespace Arrakis.Scripting;

/// <summary>How a <see cref="ScriptHost"/> compiles and runs scripts.</summary>
public sealed class ScriptHostOptions
{
    /// <summary>The namespaces every script imports.</summary>
    public static readonly IReadOnlyList<string> DefaultImports =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Text", "System.Threading", "System.Threading.Tasks",
        "TorchSharp", "static TorchSharp.torch",
        "Arrakis", "Arrakis.Bench", "Arrakis.Hooks", "Arrakis.Tokenizers", "Arrakis.Checkpoints", "Arrakis.Scripting", "Arrakis.Plots",
    ];

    /// <summary>Namespaces imported by every script (a <c>static </c> prefix imports a type's members).</summary>
    public IList<string> Imports { get; } = DefaultImports.ToList();

    /// <summary>Assemblies every script references besides the host's (e.g. tool contract assemblies from the plugin host).</summary>
    public IList<Assembly> References { get; } = [];

    /// <summary>Assembly files every script references (e.g. tool contracts found in plugin folders, which the host loads from memory).</summary>
    public IList<string> ReferencePaths { get; } = [];

    /// <summary>The compiled-script cache folder; null for <see cref="ScriptCache.DefaultDirectory"/>.</summary>
    public string? CacheDirectory { get; set; }

    /// <summary>Whether compiled scripts are cached (default: true).</summary>
    public bool UseCache { get; set; } = true;

    /// <summary>How long a cancelled script may take to stop before it is abandoned (default: 2 s).</summary>
    public TimeSpan CancellationGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While a script or submission runs, a full garbage collection runs whenever the process's resident memory has
    /// grown by this many bytes since the last one, freeing the native memory of tensors the script can no longer
    /// reach (see <see cref="NativeMemoryGuard"/>; default 256 MB; 0 turns it off).
    /// </summary>
    public long CollectAfterGrowth { get; set; } = 256L << 20;

    /// <summary>The stack size of the thread a script runs on (default: 16 MB).</summary>
    public int StackSize { get; set; } = 16 * 1024 * 1024;
}
