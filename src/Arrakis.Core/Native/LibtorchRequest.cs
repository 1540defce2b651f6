namespace Arrakis.Native;

/// <summary>
/// What the process asked of libtorch before anything ran: <c>--libtorch DIR</c> and <c>--device</c> from its command
/// line, <c>ARRAKIS_LIBTORCH</c> from its environment. libtorch is loaded once, when Arrakis.Core is first touched
/// (before a command parser runs), so <see cref="TorchNative"/> reads these itself.
/// </summary>
/// <param name="OptionPath"><c>--libtorch DIR</c>, or <c>null</c>.</param>
/// <param name="EnvironmentPath"><c>ARRAKIS_LIBTORCH</c>, or <c>null</c>.</param>
/// <param name="Device"><c>--device</c>, when given; <c>null</c> otherwise.</param>
public sealed record LibtorchRequest(string? OptionPath, string? EnvironmentPath, DeviceChoice? Device)
{
    /// <summary>The option naming a libtorch folder.</summary>
    public const string Option = "--libtorch";

    /// <summary>The environment variable naming a libtorch folder.</summary>
    public const string Variable = "ARRAKIS_LIBTORCH";

    /// <summary>Nothing asked: the bundle.</summary>
    public static readonly LibtorchRequest None = new(null, null, null);

    /// <summary>Reads this process's command line and environment.</summary>
    public static LibtorchRequest FromProcess() =>
        Parse(Environment.GetCommandLineArgs().Skip(1).ToList(), Environment.GetEnvironmentVariable(Variable));

    /// <summary>
    /// Reads <c>--libtorch DIR</c> (or <c>--libtorch=DIR</c>) and <c>--device cpu|cuda|auto</c> from
    /// <paramref name="args"/>, up to a <c>--</c> (what follows belongs to a script). An unknown device is left
    /// for the command parser to report (<see cref="Device"/> stays <c>null</c>).
    /// </summary>
    public static LibtorchRequest Parse(IReadOnlyList<string> args, string? environmentPath)
    {
        string? path = null;
        DeviceChoice? device = null;
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
                break;
            if (Value(arg, Option, args, ref i) is { } p)
                path = p;
            else if (Value(arg, "--device", args, ref i) is { } d)
                device = d.Trim().ToLowerInvariant() switch { "cpu" => DeviceChoice.Cpu, "cuda" => DeviceChoice.Cuda, "auto" => DeviceChoice.Auto, _ => null };
        }
        return new LibtorchRequest(path, string.IsNullOrWhiteSpace(environmentPath) ? null : environmentPath, device);
    }

    private static string? Value(string arg, string name, IReadOnlyList<string> args, ref int i)
    {
        if (arg == name)
            return i + 1 < args.Count ? args[++i] : null;
        return arg.StartsWith(name + "=", StringComparison.Ordinal) ? arg[(name.Length + 1)..] : null;
    }
}
