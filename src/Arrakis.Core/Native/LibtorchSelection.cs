namespace Arrakis.Native;

/// <summary>
/// Which libtorch to load: <c>--libtorch DIR</c>, else <c>ARRAKIS_LIBTORCH</c>, else — when CUDA is asked for
/// (<c>--device cuda|auto</c>) and the bundle has none, or the bundle is missing — the active Python environment's
/// <c>torch/lib</c> when it has CUDA (or, with no bundle, at all), else the bundle.
/// </summary>
/// <param name="External">The folder to load instead of the bundle, or <c>null</c> for the bundle.</param>
/// <param name="Notes">What was looked at and why it was or was not taken, for <c>arrakis info</c> and error messages.</param>
public sealed record LibtorchSelection(LibtorchFolder? External, IReadOnlyList<string> Notes)
{
    /// <summary>Chooses, by the precedence above.</summary>
    /// <param name="request">What the process asked.</param>
    /// <param name="bundle">The folder beside the app holding the bundled libtorch, or <c>null</c> when the app ships without one.</param>
    /// <param name="findPythonTorch">Finds a Python <c>torch/lib</c>; its argument allows slow means (running <c>python3</c>).</param>
    /// <exception cref="ArgumentException">The folder named by the option or variable is not a libtorch folder; the message names it and the option.</exception>
    public static LibtorchSelection Choose(LibtorchRequest request, LibtorchFolder? bundle, Func<bool, string?> findPythonTorch)
    {
        var notes = new List<string>();
        if (request.OptionPath is { } option)
            return new LibtorchSelection(LibtorchFolder.Inspect(option, LibtorchSource.Option, LibtorchRequest.Option), notes);
        if (request.EnvironmentPath is { } variable)
            return new LibtorchSelection(LibtorchFolder.Inspect(variable, LibtorchSource.Environment, LibtorchRequest.Variable), notes);

        bool wantsCuda = request.Device is DeviceChoice.Cuda or DeviceChoice.Auto;
        bool bundleHasCuda = bundle?.HasCuda == true;
        if (bundle is not null && (!wantsCuda || bundleHasCuda))
            return new LibtorchSelection(null, notes);

        string why = bundle is null ? "this build ships no libtorch" : $"--device {request.Device.ToString()!.ToLowerInvariant()} asks for CUDA and the bundled libtorch has none";
        string? found = findPythonTorch(bundle is null || request.Device == DeviceChoice.Cuda);
        if (found is null)
        {
            notes.Add($"{why}; no Python environment with a torch package was found (activate one, or pass {LibtorchRequest.Option} DIR)");
            return new LibtorchSelection(null, notes);
        }
        var python = LibtorchFolder.Inspect(found, LibtorchSource.Python);
        if (bundle is not null && !python.HasCuda)
        {
            notes.Add($"{why}; the Python torch at {found} has no CUDA either (no libtorch_cuda.so), so the bundle is used");
            return new LibtorchSelection(null, notes);
        }
        notes.Add($"{why}; using the Python environment's torch at {found}");
        return new LibtorchSelection(python, notes);
    }
}
