import NNGP
import PluginAPI

// The C entry points the host looks up with dlsym (docs/ARCHITECTURE.md, "Plugins: search order and trust"), only in
// libNNGP.so (see Plugins/Parity/Entry/Entry.swift).

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(NNGPPlugin()) }
