namespace Arrakis;

/// <summary>Where tensors live: the one device switch of Arrakis (CLI <c>--device cpu|cuda|auto</c>).</summary>
public enum DeviceChoice
{
    /// <summary>CUDA when TorchSharp reports a usable GPU, otherwise the CPU.</summary>
    Auto,

    /// <summary>The CPU.</summary>
    Cpu,

    /// <summary>The first CUDA device; requires a CUDA TorchSharp bundle (see docs/native-runtime.md).</summary>
    Cuda,
}
