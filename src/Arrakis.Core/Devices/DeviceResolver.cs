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
            DeviceChoice.Cuda => throw new InvalidOperationException(
                "Device 'cuda' was asked for, but TorchSharp reports no usable CUDA device. This build references " +
                "TorchSharp-cpu; on a machine with an NVIDIA GPU build with -p:ArrakisTorchPackage=TorchSharp-cuda-linux, " +
                "or use --device cpu or auto."),
            _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, $"expected one of: {Accepted}"),
        };
    }
}
