import Parity
import PluginAPI

// The C entry points the host looks up with dlsym (docs/ARCHITECTURE.md, "Plugins: search order and trust"). They live in
// a target of their own, linked only into libParity.so, so that tests can link several plugins'
// Swift code into one binary without duplicate symbols.

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(ParityPlugin()) }
