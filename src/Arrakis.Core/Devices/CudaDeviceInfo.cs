using System.Runtime.InteropServices;
using System.Text;

namespace Arrakis;

/// <summary>
/// A CUDA device's name and memory, read from NVIDIA's driver (<c>libcuda.so.1</c>: <c>cuDeviceGetName</c>,
/// <c>cuDeviceTotalMem_v2</c>, <c>cuDriverGetVersion</c>), which TorchSharp does not expose. Used by <c>arrakis info</c>.
/// </summary>
/// <param name="Index">The device ordinal (<c>cuda:N</c>).</param>
/// <param name="Name">E.g. <c>NVIDIA H200</c>.</param>
/// <param name="TotalBytes">Its memory.</param>
/// <param name="DriverVersion">The driver's CUDA version, e.g. <c>13.0</c>.</param>
public sealed unsafe record CudaDeviceInfo(int Index, string Name, long TotalBytes, string DriverVersion)
{
    /// <summary>Every CUDA device the driver reports; empty without a driver or GPU (never throws).</summary>
    public static IReadOnlyList<CudaDeviceInfo> List()
    {
        if (!NativeLibrary.TryLoad("libcuda.so.1", out var driver))
            return [];
        try
        {
            var init = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(driver, "cuInit");
            var count = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(driver, "cuDeviceGetCount");
            var get = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(driver, "cuDeviceGet");
            var name = (delegate* unmanaged<byte*, int, int, int>)NativeLibrary.GetExport(driver, "cuDeviceGetName");
            var memory = (delegate* unmanaged<nuint*, int, int>)NativeLibrary.GetExport(driver, "cuDeviceTotalMem_v2");
            var version = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(driver, "cuDriverGetVersion");
            int n, v;
            if (init(0) != 0 || count(&n) != 0)
                return [];
            string driverVersion = version(&v) == 0 ? $"{v / 1000}.{v % 1000 / 10}" : "unknown";
            var result = new List<CudaDeviceInfo>();
            byte* buffer = stackalloc byte[256];
            for (int i = 0; i < n; i++)
            {
                int device;
                nuint bytes;
                if (get(&device, i) != 0 || name(buffer, 256, device) != 0 || memory(&bytes, device) != 0)
                    continue;
                result.Add(new CudaDeviceInfo(i, Encoding.UTF8.GetString(MemoryMarshal.CreateReadOnlySpanFromNullTerminated(buffer)), (long)bytes, driverVersion));
            }
            return result;
        }
        catch (EntryPointNotFoundException)
        {
            return [];
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"cuda:{Index} {Name}, {TotalBytes / (1024.0 * 1024 * 1024):F1} GiB (driver CUDA {DriverVersion})";
}
