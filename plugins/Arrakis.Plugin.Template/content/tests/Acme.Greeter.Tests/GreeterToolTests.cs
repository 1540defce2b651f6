using System.Reflection;
using Acme.Greeter.Contracts;
using Arrakis;

namespace Acme.Greeter.Tests;

public class GreeterToolTests
{
    [Fact]
    public void Run_returns_the_expected_result()
    {
        var result = new GreeterTool().Run("world");

        Assert.Equal("Hello, world!", result.Output);
        Assert.Equal(13, result.Length);
    }

    [Fact]
    public void Contract_names_a_valid_tool()
    {
        var tool = typeof(IGreeter).GetCustomAttribute<ToolAttribute>();

        Assert.NotNull(tool);
        Assert.Equal("greet", tool.Name);
        Assert.True(ToolAttribute.IsValidName(tool.Name), $"'{tool.Name}' must match [a-z][a-z0-9_-]*");
    }

    [Fact]
    public void Plugin_declares_the_api_it_was_built_for()
    {
        var api = typeof(GreeterTool).Assembly.GetCustomAttribute<PluginApiAttribute>();

        Assert.NotNull(api);
        Assert.Equal(ArrakisVersion.PluginApiMajor, api.Major);
    }

    [Fact]
    public void Contract_lives_outside_the_plugin_assembly()
    {
        // The host shares the contract assembly; a contract inside the plugin would be refused.
        Assert.NotEqual(typeof(GreeterTool).Assembly, typeof(IGreeter).Assembly);
    }
}
