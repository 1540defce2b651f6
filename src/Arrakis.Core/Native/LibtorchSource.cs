namespace Arrakis.Native;

/// <summary>Where the libtorch Arrakis loads came from, in the order of precedence.</summary>
public enum LibtorchSource
{
    /// <summary><c>--libtorch DIR</c> on the command line.</summary>
    Option,

    /// <summary>The <c>ARRAKIS_LIBTORCH</c> environment variable.</summary>
    Environment,

    /// <summary>The <c>torch</c> package of the active Python environment, found because CUDA was asked for and the bundle has none.</summary>
    Python,

    /// <summary>The libtorch natives of the TorchSharp bundle beside the app.</summary>
    Bundle,
}
