using Arrakis.Native;
using TorchSharp;

namespace Arrakis;

/// <summary>Parses and resolves <see cref="DeviceChoice"/> values.</summary>
public static class DeviceResolver
{
    /// <summary>The accepted spellings, for error messages and help text.</summary>
    public const string Accepted = "cpu, cuda, auto";

    /// <summary>Parses <c>cpu</c>, <c>cuda</c> or <c>auto</c> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">Any other text; the message names the value and the accepted ones.</exception>
    public static DeviceChoice Parse(string value, string argumentName = "device") =>
        value?.Trim().ToLowerInvariant() switch
        {
            "cpu" => DeviceChoice.Cpu,
            "cuda" => DeviceChoice.Cuda,
            "auto" => DeviceChoice.Auto,
            _ => throw new ArgumentException($"Unknown device '{value}'; expected one of: {Accepted}.", argumentName),
        };

    /// <summary>
    /// Why <c>--device cuda</c> cannot be served, and the two ways to get a GPU: an installed PyTorch with CUDA
    /// (<c>--libtorch DIR</c>, <c>ARRAKIS_LIBTORCH</c> or an active Python environment) or the CUDA TorchSharp package.
    /// </summary>
    public static string NoCudaMessage(TorchNativeStatus? status)
    {
        string loaded = status?.Libtorch is { } libtorch ? $"the libtorch loaded ({libtorch}) " : "the libtorch loaded ";
        string reason = status?.Libtorch?.HasCuda == true ? "has CUDA, but torch.cuda.is_available() is false (no GPU or driver visible)" : "has no CUDA";
        string notes = status?.Notes is { Count: > 0 } n ? $" ({string.Join("; ", n)})" : "";
        return $"Device 'cuda' was asked for, but {loaded}{reason}{notes}. To run on a GPU either use an installed PyTorch with CUDA — " +
               $"pass {LibtorchRequest.Option} DIR or set {LibtorchRequest.Variable} to its torch/lib folder, or run with its Python environment active " +
               "(Arrakis then finds it) — or build with the CUDA TorchSharp package (-p:ArrakisTorchPackage=TorchSharp-cuda-linux). " +
               "Or use --device cpu or auto.";
    }

    /// <summary>
    /// The TorchSharp device for a choice. <see cref="DeviceChoice.Auto"/> picks CUDA only when
    /// <c>torch.cuda.is_available()</c>; <see cref="DeviceChoice.Cuda"/> without a GPU is an error, never a silent fallback.
    /// </summary>
    /// <exception cref="InvalidOperationException">CUDA was asked for but this TorchSharp bundle or machine has none.</exception>
    public static torch.Device Resolve(DeviceChoice choice)
    {
        TorchNative.Ensure();
        return choice switch
        {
            DeviceChoice.Cpu => torch.CPU,
            DeviceChoice.Auto => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
            DeviceChoice.Cuda when torch.cuda.is_available() => torch.CUDA,
            DeviceChoice.Cuda => throw new InvalidOperationException(NoCudaMessage(TorchNative.Status)),
            _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, $"expected one of: {Accepted}"),
        };
    }
}
