using System.CommandLine;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Arrakis.Cli.Commands;

/// <summary><c>arrakis demo</c>: a tiny forward pass that proves libtorch runs.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run a tiny forward pass on the CPU and print the time to the first torch result.");
        command.SetAction(_ =>
        {
            var sinceStart = DateTime.Now - Process.GetCurrentProcess().StartTime;
            var clock = Stopwatch.StartNew();
            using var scope = NewDisposeScope();
            manual_seed(0);
            var layer = nn.Linear(4, 3);
            var x = arange(8, dtype: float32).reshape(2, 4);
            var y = layer.call(x);
            float first = y[0, 0].item<float>();
            Console.WriteLine($"first torch result {first:F6} after {(sinceStart + clock.Elapsed).TotalMilliseconds:F0} ms from process start");
            Console.WriteLine($"Linear(4→3) on [2,4] → [{string.Join(",", y.shape)}]:");
            Console.WriteLine(y.ToString(TorchSharp.TensorStringStyle.Numpy));
            return 0;
        });
        return command;
    }
}
