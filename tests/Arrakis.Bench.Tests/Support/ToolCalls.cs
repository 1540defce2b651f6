using Arrakis.Bench.Tools;

namespace Arrakis.Bench.Tests.Support;

/// <summary>
/// Calls tools whose contracts were built at test time (so the test cannot compile against them): through the
/// contract interface the registry reports, by reflection — the same dispatch a typed call makes.
/// </summary>
public static class ToolCalls
{
    public static object Invoke(object tool, Type contract, string method, params object?[] arguments) =>
        contract.GetMethod(method)!.Invoke(tool, arguments)!;

    public static object Invoke(ToolRegistry registry, string name, string method, params object?[] arguments) =>
        Invoke(registry.Get(name), registry.Describe(name).Contract, method, arguments);

    public static T Property<T>(object value, string property) => (T)value.GetType().GetProperty(property)!.GetValue(value)!;
}
