// The plugin API this plugin was built for, from the Arrakis.Abstractions it compiles against.
// The host reads it before running any plugin code and refuses another major version.
[assembly: Arrakis.PluginApi(Arrakis.ArrakisVersion.PluginApiMajor, Arrakis.ArrakisVersion.PluginApiMinor)]
