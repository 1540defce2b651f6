using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Util;

/// <summary>Points a tensor (typically a parameter) at another tensor's storage, keeping the object and its autograd settings.</summary>
internal static class StorageSwap
{
    /// <summary>
    /// <c>destination.set_(source)</c> under <c>no_grad</c>: <paramref name="destination"/> now views
    /// <paramref name="source"/>'s storage with its shape and strides. TorchSharp 0.107's <c>set_</c> hands back the
    /// destination object itself; disposing that would dispose the destination, so only another object is disposed.
    /// </summary>
    public static void Into(Tensor destination, Tensor source)
    {
        using var noGrad = no_grad();
        var result = destination.set_(source);
        if (!ReferenceEquals(result, destination))
            result.Dispose();
    }
}
