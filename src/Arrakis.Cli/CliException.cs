namespace Arrakis.Cli;

/// <summary>A user-facing error: printed as <c>arrakis: error: message</c>, exit <see cref="ExitCodes.BadInput"/> unless given.</summary>
internal sealed class CliException(string message, int exitCode = ExitCodes.BadInput) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
