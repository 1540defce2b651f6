using System.Runtime.InteropServices;

namespace Arrakis.GpuCheck;

/// <summary>
/// GPU memory a process holds, as NVIDIA's driver counts it (NVML <c>nvmlDeviceGetComputeRunningProcesses</c>): the
/// same instrument for the Arrakis process and the PyTorch peer, so both include their CUDA context and their caching
/// allocator's reserve. Where NVML lists no matching process (a container's own PID namespace), the device's total
/// used memory is reported instead, and says so.
/// </summary>
internal sealed unsafe class GpuMemory
{
    [StructLayout(LayoutKind.Sequential)]
    private struct ProcessInfo { public uint Pid; public ulong UsedGpuMemory; public uint GpuInstanceId; public uint ComputeInstanceId; }

    [StructLayout(LayoutKind.Sequential)]
    private struct MemoryInfo { public ulong Total; public ulong Free; public ulong Used; }

    private readonly delegate* unmanaged<IntPtr, uint*, ProcessInfo*, int> _processes;
    private readonly delegate* unmanaged<IntPtr, MemoryInfo*, int> _memory;
    private readonly IntPtr _device;

    private GpuMemory(IntPtr library, IntPtr device)
    {
        _device = device;
        _processes = (delegate* unmanaged<IntPtr, uint*, ProcessInfo*, int>)NativeLibrary.GetExport(library,
            NativeLibrary.TryGetExport(library, "nvmlDeviceGetComputeRunningProcesses_v3", out _) ? "nvmlDeviceGetComputeRunningProcesses_v3" : "nvmlDeviceGetComputeRunningProcesses_v2");
        _memory = (delegate* unmanaged<IntPtr, MemoryInfo*, int>)NativeLibrary.GetExport(library, "nvmlDeviceGetMemoryInfo");
    }

    /// <summary>NVML for GPU 0, or <c>null</c> (with the reason) when there is none.</summary>
    public static GpuMemory? Open(out string why)
    {
        why = "";
        if (!NativeLibrary.TryLoad("libnvidia-ml.so.1", out var library))
        {
            why = "libnvidia-ml.so.1 not found";
            return null;
        }
        var init = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, NativeLibrary.TryGetExport(library, "nvmlInit_v2", out _) ? "nvmlInit_v2" : "nvmlInit");
        var byIndex = (delegate* unmanaged<uint, IntPtr*, int>)NativeLibrary.GetExport(library,
            NativeLibrary.TryGetExport(library, "nvmlDeviceGetHandleByIndex_v2", out _) ? "nvmlDeviceGetHandleByIndex_v2" : "nvmlDeviceGetHandleByIndex");
        int rc = init();
        IntPtr device;
        if (rc != 0 || (rc = byIndex(0, &device)) != 0)
        {
            why = $"NVML error {rc}";
            return null;
        }
        return new GpuMemory(library, device);
    }

    /// <summary>Bytes each of <paramref name="pids"/> holds (null where NVML does not list it), and the device's used bytes.</summary>
    public (ulong?[] PerProcess, ulong DeviceUsed) Read(params int[] pids)
    {
        var infos = new ProcessInfo[256];
        uint count = (uint)infos.Length;
        fixed (ProcessInfo* p = infos)
        {
            if (_processes(_device, &count, p) != 0)
                count = 0;
        }
        MemoryInfo memory;
        _memory(_device, &memory);
        int listed = (int)count;
        var result = pids.Select(pid => infos.Take(listed).Where(i => i.Pid == pid).Select(i => (ulong?)i.UsedGpuMemory).FirstOrDefault()).ToArray();
        return (result, memory.Used);
    }
}
