namespace Arrakis.GpuCheck;

/// <summary>
/// The check's command line: <c>zoo|compare [--device cpu|cuda] [--dtype NAME] [--sizes 4x256,8x1024] [--rounds N] [--peer PATH]
/// [--python EXE] [--folder DIR] [--side both|arrakis|pytorch]</c>. <c>--side</c> runs one side alone (the two processes' CUDA
/// caching allocators do not give memory back, so at the largest size both at once may not fit one card).
/// </summary>
internal sealed record CheckArguments(string Command, DeviceChoice Device, string Dtype, IReadOnlyList<(int Batch, int Pos)> Sizes, int Rounds,
    string? Peer, string Python, string Folder, string Side = "both")
{
    public static CheckArguments Parse(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("zoo" or "compare"))
            throw new ArgumentException($"expected a command, zoo or compare; got '{string.Join(' ', args)}'");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value pairs after the command; got '{args[i]}'");
            values[args[i]] = args[++i];
        }
        string Get(string name, string fallback) => values.TryGetValue(name, out var v) ? v : fallback;
        var sizes = Get("--sizes", "4x256,8x1024,32x1024").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s =>
        {
            var parts = s.Split('x');
            return parts.Length == 2 && int.TryParse(parts[0], out int b) && int.TryParse(parts[1], out int p) && b > 0 && p > 0
                ? (b, p)
                : throw new ArgumentException($"--sizes: '{s}' is not BATCHxPOS (e.g. 8x1024)");
        }).ToList();
        int rounds = int.TryParse(Get("--rounds", "3"), out int r) && r > 0 ? r : throw new ArgumentException($"--rounds: '{Get("--rounds", "")}' is not a positive integer");
        return new CheckArguments(args[0], DeviceResolver.Parse(Get("--device", "cuda"), "--device"), Get("--dtype", "float32"), sizes, rounds,
            values.GetValueOrDefault("--peer"), Get("--python", "python3"), Get("--folder", Path.Combine(Path.GetTempPath(), "arrakis-gpu-gpt2-small")),
            Get("--side", "both") is "both" or "arrakis" or "pytorch" ? Get("--side", "both") : throw new ArgumentException($"--side: '{Get("--side", "")}' is not both, arrakis or pytorch"));
    }
}
