using Arrakis.Bench.Tools;

namespace Arrakis.Bench.Tests.Tools;

public class ToolRegistryTests
{
    [Tool("upper")]
    public interface IUpper { string Apply(string text); }

    [Tool("lower")]
    public interface ILower { string Apply(string text); }

    private sealed class Upper : IUpper { public string Apply(string text) => text.ToUpperInvariant(); }

    private sealed class Lower : ILower { public string Apply(string text) => text.ToLowerInvariant(); }

    [Fact]
    public void Get_returns_the_registered_tool_typed_by_its_contract()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());

        Assert.Equal("ABC", registry.Get<IUpper>("upper").Apply("abc"));
        Assert.IsType<Upper>(registry.Get("upper"));
        var descriptor = Assert.Single(registry.Tools);
        Assert.Equal(("upper", typeof(IUpper), ToolDescriptor.CodeSource), (descriptor.Name, descriptor.Contract, descriptor.Source));
        Assert.Null(descriptor.Version);
    }

    [Fact]
    public void Names_are_in_ordinal_order()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());
        registry.Register<ILower>("lower", new Lower());
        registry.Register<ILower>("lower-2", new Lower());

        Assert.Equal(["lower", "lower-2", "upper"], registry.Names);
    }

    [Fact]
    public void Unknown_name_lists_the_loaded_tools_and_the_closest_name()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());
        registry.Register<ILower>("lower", new Lower());

        var typed = Assert.Throws<KeyNotFoundException>(() => registry.Get<IUpper>("uper"));
        var untyped = Assert.Throws<KeyNotFoundException>(() => registry.Get("lowr"));

        Assert.Equal("No tool named 'uper'. Closest name: 'upper'. Loaded tools: lower, upper.", typed.Message);
        Assert.Equal("No tool named 'lowr'. Closest name: 'lower'. Loaded tools: lower, upper.", untyped.Message);
    }

    [Fact]
    public void Unknown_name_in_an_empty_registry_says_nothing_is_loaded()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => new ToolRegistry().Get("decomposer"));

        Assert.Equal("No tool named 'decomposer': no tools are loaded (see the plugin load report).", error.Message);
    }

    [Fact]
    public void Names_are_case_sensitive()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());

        var error = Assert.Throws<KeyNotFoundException>(() => registry.Get("Upper"));
        Assert.Contains("Closest name: 'upper'", error.Message);
    }

    [Fact]
    public void Wrong_contract_names_both_types()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());

        var error = Assert.Throws<InvalidCastException>(() => registry.Get<ILower>("upper"));

        Assert.Contains(typeof(IUpper).FullName!, error.Message);
        Assert.Contains(typeof(ILower).FullName!, error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("1tool")]
    [InlineData("-tool")]
    [InlineData("tool name")]
    [InlineData("tool.name")]
    public void Invalid_names_are_refused(string name)
    {
        var error = Assert.Throws<ArgumentException>(() => new ToolRegistry().Register<IUpper>(name, new Upper()));

        Assert.Contains("[a-z][a-z0-9_-]*", error.Message);
    }

    [Theory]
    [InlineData("a")]
    [InlineData("decomposer")]
    [InlineData("logit_attributor-2")]
    public void Valid_names_are_accepted(string name)
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>(name, new Upper());

        Assert.Equal([name], registry.Names);
    }

    [Fact]
    public void A_taken_name_is_refused_and_the_first_tool_stays()
    {
        var registry = new ToolRegistry();
        var first = new Upper();
        registry.Register<IUpper>("upper", first);

        var error = Assert.Throws<InvalidOperationException>(() => registry.Register<IUpper>("upper", new Upper()));

        Assert.Equal("tool name 'upper' is already provided by a tool registered in code", error.Message);
        Assert.Same(first, registry.Get<IUpper>("upper"));
    }

    [Fact]
    public void Unregister_removes_a_code_tool()
    {
        var registry = new ToolRegistry();
        registry.Register<IUpper>("upper", new Upper());

        Assert.True(registry.Unregister("upper"));
        Assert.False(registry.Unregister("upper"));
        Assert.Empty(registry.Names);
    }

    [Fact]
    public void Closest_uses_edit_distance_and_breaks_ties_in_ordinal_order()
    {
        Assert.Equal(3, ToolNames.EditDistance("kitten", "sitting"));
        Assert.Equal(0, ToolNames.EditDistance("", ""));
        Assert.Equal("composer", ToolNames.Closest("composr", ["decomposer", "composer", "logit"]));
        Assert.Equal("ab", ToolNames.Closest("a", ["b", "ab", "ac"]));
        Assert.Null(ToolNames.Closest("x", []));
    }
}
