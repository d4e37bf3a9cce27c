// A library that passes the C handshake but whose factory returns an object that does not
// conform to Plugin.
import PluginAPI

public final class Impostor {
    public init() {}
}

@_cdecl("host_plugin_abi_version")
public func hostPluginABIVersion() -> Int32 { PluginABI.version }

@_cdecl("host_plugin_runtime_build_id")
public func hostPluginRuntimeBuildID() -> PluginABI.CString { PluginABI.runtimeBuildIDPointer }

@_cdecl("host_plugin_create")
public func hostPluginCreate() -> PluginABI.PluginHandle? { PluginABI.export(Impostor()) }
