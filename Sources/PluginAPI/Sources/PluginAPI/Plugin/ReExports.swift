// A plugin writes `import PluginAPI` and gets every layer of the runtime a plugin uses
// (docs/ARCHITECTURE.md, "The runtime's layers"). The kernels are not among them: the engine
// calls them, and only the host's tools (bench, CPU report) import `Kernels` themselves.
@_exported import Formats
@_exported import Engine
@_exported import Datasets
@_exported import Plots
