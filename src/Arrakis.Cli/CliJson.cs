using System.Text.Encodings.Web;
using System.Text.Json;

namespace Arrakis.Cli;

/// <summary>How <c>--json</c> output is written: indented, with quotes, backticks and non-ASCII text left readable.</summary>
internal static class CliJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
